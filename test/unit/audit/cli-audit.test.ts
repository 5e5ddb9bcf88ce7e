import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { auditEvent, sinkLine } from './support/events.ts';

const main = join(import.meta.dirname, '../../../cli/main.ts');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function sinkDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wk-audit-cli-'));
  const now = Date.now();
  writeFileSync(
    join(dir, 'current.ndjson'),
    [
      auditEvent({
        verb: 'create',
        user: 'alice',
        resource: 'pods',
        subresource: 'exec',
        namespace: 'shop',
        name: 'web-0',
        code: 403,
        time: new Date(now - 60_000).toISOString(),
      }),
      auditEvent({
        verb: 'delete',
        user: 'bob',
        resource: 'pods',
        namespace: 'shop',
        name: 'web-0',
        time: new Date(now - 30_000).toISOString(),
      }),
    ]
      .map((e) => sinkLine(e))
      .join(''),
  );
  return dir;
}

describe('watchkeeper audit (directory sink)', () => {
  const dirFlags = (dir: string): string[] => ['--set', 'logs.sink=directory', '--set', `logs.directory.path=${dir}`];

  it('answers who deleted a pod as a table and as JSON', async () => {
    const dir = sinkDir();
    const table = await cli(['audit', 'who', 'delete', 'pod/web-0', '-n', 'shop', ...dirFlags(dir)]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^TIME\s+USER\s+ACTOR\s+VERB\s+OBJECT\s+CODE\s+SOURCE IPS$/m);
    expect(table.stdout).toMatch(/\sbob\s+person\s+delete\s+pods\/web-0 -n shop\s+200\s+10\.1\.2\.3/);
    const json = await cli(['audit', 'who', 'delete', 'pods/web-0', '-n', 'shop', '-o', 'json', ...dirFlags(dir)]);
    const answer = JSON.parse(json.stdout) as { rows: { user: string; code: number }[]; source: string };
    expect(answer.rows.map((r) => [r.user, r.code])).toEqual([['bob', 200]]);
    expect(answer.source).toBe(`directory ${dir}`);
  });

  it('lists the denied exec attempt as a finding naming its event', async () => {
    const result = await cli(['audit', 'suspicious', '-o', 'json', ...dirFlags(sinkDir())]);
    const answer = JSON.parse(result.stdout) as {
      findings: { rule: string; user: string; events: { code: number }[] }[];
    };
    expect(answer.findings.map((f) => [f.rule, f.user, f.events[0]!.code])).toEqual([['pod-exec', 'alice', 403]]);
  });

  it('exits 1 with a clear message when the range holds no audit events', async () => {
    const result = await cli([
      'audit',
      'user',
      'bob',
      '--since',
      '2020-01-01T00:00:00Z',
      '--until',
      '2020-01-02T00:00:00Z',
      ...dirFlags(sinkDir()),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('No requests by bob between 2020-01-01T00:00:00.000Z and 2020-01-02T00:00:00.000Z');
    expect(result.stderr).toContain(
      'holds no audit events between 2020-01-01T00:00:00.000Z and 2020-01-02T00:00:00.000Z',
    );
  });

  it('exits 1 naming the URL (without credentials) when Elasticsearch cannot be reached', async () => {
    const result = await cli([
      'audit',
      'suspicious',
      '--set',
      'logs.sink=elasticsearch',
      '--set',
      'logs.elasticsearch.url=http://user:secret@127.0.0.1:1',
      '--set',
      'logs.elasticsearch.requestTimeoutSeconds=5',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach Elasticsearch at http://127.0.0.1:1 (watchkeeper-audit-*)');
    expect(result.stderr).not.toContain('secret');
  });

  it('exits 2 on a bad verb, resource or time', async () => {
    for (const args of [
      ['who', 'destroy', 'pods/x'],
      ['who', 'delete', 'Pods/X'],
      ['history', 'deployments'],
      ['user', 'x', '--since', 'yesterday'],
    ]) {
      const result = await cli(['audit', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/unknown verb "destroy"|expected <resource>|expected a duration/);
    }
  });

  it('has help with examples for each question', async () => {
    for (const q of ['who', 'history', 'user', 'suspicious']) {
      const help = await cli(['audit', q, '--help']);
      expect(help.stdout).toContain(`watchkeeper audit ${q}`);
    }
  });
});
