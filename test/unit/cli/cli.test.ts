import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const main = join(import.meta.dirname, '../../../cli/main.ts');
const fixtures = join(import.meta.dirname, '../../fixtures/config');

/** Runs the real CLI with this Node (24) and returns exit code and output. */
async function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('watchkeeper CLI', () => {
  it('prints help with examples at the top level and for subcommands', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const mode of ['agent', 'prober', 'backup', 'restore', 'backups', 'render', 'config', 'sandbox', 'version']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${mode}\\b`, 'm'));
    }
    expect(top.stdout).toContain('Examples:');
    const check = await cli(['config', 'check', '--help']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('watchkeeper config check watchkeeper.yaml');
  });

  it('prints the version as text and JSON', async () => {
    const text = await cli(['version']);
    expect(text.stdout).toMatch(/^watchkeeper \d+\.\d+\.\d+ \(node v24\./);
    const json = JSON.parse((await cli(['version', '-o', 'json'])).stdout) as { version: string; node: string };
    expect(json.node).toMatch(/^v24\./);
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    const bad = await cli(['version', '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--bogus'");
  });

  it('config check prints the effective configuration with defaults, from a flag or WATCHKEEPER_CONFIG', async () => {
    const byArg = await cli(['config', 'check', join(fixtures, 'valid-full.yaml'), '-o', 'json']);
    expect(byArg.code).toBe(0);
    expect(JSON.parse(byArg.stdout)).toMatchObject({ cluster: { name: 'prod-eu' }, server: { port: 9500 } });
    const byEnv = await cli(['config', 'check', '--set', 'server.port=9999'], {
      WATCHKEEPER_CONFIG: join(fixtures, 'valid-full.yaml'),
    });
    expect(byEnv.code).toBe(0);
    expect(byEnv.stdout).toContain('name: prod-eu');
    expect(byEnv.stdout).toContain('port: 9999');
  });

  it('collector without Kubernetes credentials exits 1 and names the default that needs them', async () => {
    const home = await mkdtemp(join(tmpdir(), 'wk-nohome-'));
    const config = join(home, 'watchkeeper.yaml');
    await writeFile(config, 'server: { port: 0 }\nmetrics: { jobs: [{ job: self, targets: ["127.0.0.1:9"] }] }\n');
    const run = await cli(['collector', '-c', config], { HOME: home, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'metrics.state (on by default in collector mode; metrics.state.enabled: false turns it off) ' +
        'needs the Kubernetes API',
    );
    expect(run.stderr).toContain('no Kubernetes credentials found');
  });

  it('config check exits 2 and names the path, expectation and value of a bad setting', async () => {
    const result = await cli(['config', 'check', join(fixtures, 'invalid-log-level.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'log.level: expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent", found "loud"',
    );
    expect(result.stdout).toBe('');
  });
});
