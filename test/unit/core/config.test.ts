import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../../core/config/load.ts';
import { maskSecrets } from '../../../core/config/mask.ts';
import { WatchkeeperError } from '../../../core/errors.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/config');
const invalid = readdirSync(fixtures).filter((f) => f.startsWith('invalid-') && f.endsWith('.yaml'));

describe('config loading', () => {
  it('has invalid fixtures to check', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(10);
  });

  it.each(invalid)('%s fails with its exact message and exit code 2', async (name) => {
    const file = join(fixtures, name);
    const expected = readFileSync(file.replace(/\.yaml$/, '.txt'), 'utf8')
      .replace(/^watchkeeper: /, '')
      .replaceAll('FILE', file)
      .trimEnd();
    const error = await loadConfig({ file }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WatchkeeperError);
    expect((error as WatchkeeperError).message).toBe(expected);
    expect((error as WatchkeeperError).exitCode).toBe(2);
  });

  it('fills defaults when there is no file', async () => {
    const config = await loadConfig({});
    expect(config.server).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(config.log).toEqual({ level: 'info', format: 'auto' });
    expect(config.cluster.name).toBe('default');
  });

  it('keeps every value of a full valid file', async () => {
    const config = await loadConfig({ file: join(fixtures, 'valid-full.yaml') });
    expect(config.cluster.name).toBe('prod-eu');
    expect(config.server).toEqual({ host: '127.0.0.1', port: 9500 });
    expect(config.kubernetes).toEqual({ kubeconfig: '/etc/watchkeeper/kubeconfig', context: 'admin@prod-eu' });
    expect(config.shutdownTimeoutSeconds).toBe(10);
  });

  it('applies environment overrides over the file and --set flags over both', async () => {
    const config = await loadConfig({
      file: join(fixtures, 'valid-full.yaml'),
      env: { WATCHKEEPER_CFG__server__port: '9600', WATCHKEEPER_CFG__log__level: 'warn', UNRELATED: 'x' },
      sets: ['server.port=9700'],
    });
    expect(config.server.port).toBe(9700);
    expect(config.log.level).toBe('warn');
  });

  it('validates overrides like file values, naming the path', async () => {
    await expect(loadConfig({ sets: ['log.level=loud'] })).rejects.toThrow('log.level: expected one of');
    await expect(loadConfig({ sets: ['nonsense'] })).rejects.toThrow('--set nonsense: expected path=value');
    await expect(loadConfig({ env: { WATCHKEEPER_CFG__server__bogus: '1' } })).rejects.toThrow(
      'server: unknown key "bogus"',
    );
  });

  it('takes overrides of string fields as plain strings: digits stay a string, "#" is not a comment', async () => {
    const config = await loadConfig({
      env: {
        WATCHKEEPER_CFG__backup__etcd__password: '123456',
        WATCHKEEPER_CFG__backup__etcd__username: 'abc #x',
        WATCHKEEPER_CFG__server__port: '9600',
      },
      sets: ['prober.nodeSelector.pool=007', 'backup.etcd.endpoints=[https://10.0.0.1:2379, https://10.0.0.2:2379]'],
    });
    expect(config.backup.etcd.password).toBe('123456');
    expect(config.backup.etcd.username).toBe('abc #x');
    expect(config.server.port).toBe(9600);
    expect(config.prober.nodeSelector).toEqual({ pool: '007' });
    expect(config.backup.etcd.endpoints).toEqual(['https://10.0.0.1:2379', 'https://10.0.0.2:2379']);
  });

  it('never prints the value of a credential field in an error', () => {
    const bad = {
      backup: { etcd: { password: 918273645 }, storage: { s3: { bucket: 'b', secretAccessKey: ['hunter2'] } } },
    };
    const error = (() => {
      try {
        validateConfig(bad, 'test');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toContain('backup.etcd.password: expected a string, found [masked]');
    expect(error?.message).toContain('backup.storage.s3.secretAccessKey: expected a string, found [masked]');
    expect(error?.message).not.toMatch(/918273645|hunter2/);
  });

  it('names a missing file', async () => {
    await expect(loadConfig({ file: '/nonexistent/watchkeeper.yaml' })).rejects.toThrow(
      'config file /nonexistent/watchkeeper.yaml: cannot be read (ENOENT)',
    );
  });
});

describe('secret masking', () => {
  it('masks credentials at any depth and keeps file paths', () => {
    const masked = maskSecrets({
      s3: { secretAccessKey: 'abc', accessKeyIdFile: '/x' },
      es: { password: 'p', username: 'u' },
      list: [{ token: 't' }],
    });
    expect(masked).toEqual({
      s3: { secretAccessKey: '[masked]', accessKeyIdFile: '/x' },
      es: { password: '[masked]', username: 'u' },
      list: [{ token: '[masked]' }],
    });
  });
});
