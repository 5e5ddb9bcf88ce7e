import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const main = join(import.meta.dirname, '../../../cli/main.ts');
const fixtures = join(import.meta.dirname, '../../fixtures/metrics/parse');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI with this Node, with `input` on its stdin. */
function cli(args: string[], input?: string | Buffer): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

function jsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}

describe('watchkeeper metrics parse', () => {
  it('prints one JSON object per sample of a file, as the fixture expects', async () => {
    const result = await cli(['metrics', 'parse', join(fixtures, 'om-families.om'), '-o', 'json']);
    expect(result.code).toBe(0);
    const expected = JSON.parse(await readFile(join(fixtures, 'om-families.json'), 'utf8')) as { family: unknown }[];
    expect(jsonLines(result.stdout)).toEqual(expected.map(({ family: _family, ...sample }) => sample));
  });

  it('reads stdin with -, detects the format, prints NaN/±Inf as strings and null for no timestamp', async () => {
    const body = '# TYPE t counter\nt_total{a="1"} NaN 1.5\nt_total{a="2"} -Inf\n# EOF\n';
    const result = await cli(['metrics', 'parse', '-', '-o', 'json'], body);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([
      { name: 't_total', labels: { a: '1' }, value: 'NaN', timestampMs: 1500 },
      { name: 't_total', labels: { a: '2' }, value: '-Inf', timestampMs: null },
    ]);
    const asText = await cli(['metrics', 'parse', '--format', 'text', '-o', 'json'], 'x{a="b"} +Inf 1700000000000\n');
    expect(jsonLines(asText.stdout)).toEqual([
      { name: 'x', labels: { a: 'b' }, value: '+Inf', timestampMs: 1700000000000 },
    ]);
  });

  it('prints text-format lines by default and a summary on stderr', async () => {
    const result = await cli(['metrics', 'parse', join(fixtures, 'text-escapes.txt')]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(
      'esc_help{path="C:\\\\dir\\\\file.txt",msg="line one\\nline two",' +
        'quote="say \\"hi\\"",other="keep \\\\t this"} 1',
    );
    expect(result.stderr).toContain('3 samples in 1 families (text format)');
  });

  it('exits 1 naming the line and reason of the first error, after printing the samples before it', async () => {
    const result = await cli(['metrics', 'parse', '-', '-o', 'json'], 'a 1\nb 2\nc{x="1",x="2"} 3\nd 4\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('watchkeeper: stdin: line 3: duplicate label name "x" (parsing stopped there)\n');
    expect(jsonLines(result.stdout).map((s) => (s as { name: string }).name)).toEqual(['a', 'b']);
  });

  it('exits 1 for a truncated OpenMetrics body and for a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wk-parse-'));
    const truncated = join(dir, 'truncated.om');
    await writeFile(truncated, '# TYPE a gauge\na 1\n');
    const result = await cli(['metrics', 'parse', truncated, '--format', 'openmetrics']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${truncated}: line 3: missing "# EOF"`);
    const missing = await cli(['metrics', 'parse', join(dir, 'nope.txt')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read');
  });

  it('detects OpenMetrics from the tail of a large file (timestamps read as seconds)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wk-parse-'));
    const file = join(dir, 'big.om');
    const lines = ['# TYPE g gauge'];
    for (let i = 0; i < 5000; i++) lines.push(`g{i="${i}",pad="${'p'.repeat(20)}"} ${i} 10.5`);
    await writeFile(file, `${lines.join('\n')}\n# EOF\n`);
    const result = await cli(['metrics', 'parse', file, '-o', 'json']);
    expect(result.code).toBe(0);
    const samples = jsonLines(result.stdout) as { timestampMs: number }[];
    expect(samples).toHaveLength(5000);
    expect(samples[4999]).toEqual({
      name: 'g',
      labels: { i: '4999', pad: 'p'.repeat(20) },
      value: 4999,
      timestampMs: 10500,
    });
  });

  it('exits 2 on a bad --format or -o, and has help with examples', async () => {
    const badFormat = await cli(['metrics', 'parse', '--format', 'xml', '-']);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--format: expected one of auto, text, openmetrics, found "xml"');
    expect((await cli(['metrics', 'parse', '-o', 'yaml', '-'])).code).toBe(2);
    const help = await promisify(execFile)(process.execPath, [main, 'metrics', 'parse', '--help']);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('watchkeeper metrics parse body.txt --format openmetrics -o json');
    const top = await promisify(execFile)(process.execPath, [main, '--help']);
    expect(top.stdout).toMatch(/^ {2}metrics\b/m);
  });
});
