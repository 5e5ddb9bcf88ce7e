import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const node = join(root, 'node_modules/.bin/node');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(node, ['cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('watchkeeper logs tail', () => {
  it('prints the documents the agent would ship for a CRI file, with path fields and problems on stderr', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wk-cli-')), 'pods', 'web_front-0_abc', 'nginx');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, '2.log');
    writeFileSync(file, '2024-05-06T07:08:09.1Z stdout F GET / 200\nnot cri at all\n');
    const { status, stdout, stderr } = run(['logs', 'tail', file]);
    expect(status).toBe(0);
    const docs = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { _index: string; doc: Record<string, unknown> });
    expect(docs[0]).toMatchObject({
      _index: 'watchkeeper-logs-2024.05.06',
      doc: {
        message: 'GET / 200',
        kubernetes: { namespace: 'web', pod: { name: 'front-0' }, container: { name: 'nginx', restart: 2 } },
      },
    });
    expect(docs[1]!.doc.message).toBe('not cri at all');
    expect(stderr).toContain('not_cri=1');
  });

  it('reads klog with --format klog and rejects unknown formats with exit code 2', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wk-cli-')), 'sched.log');
    writeFileSync(file, 'W0506 07:08:09.000001       1 x.go:5] careful\n');
    const ok = run(['logs', 'tail', file, '--format', 'klog', '--component', 'kube-scheduler']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout.trim()).doc).toMatchObject({
      severity: 'WARNING',
      component: 'kube-scheduler',
      message: 'careful',
    });
    expect(run(['logs', 'tail', file, '--format', 'xml']).status).toBe(2);
    expect(run(['logs', 'tail', '/nonexistent/file.log']).status).toBe(1);
  });
});
