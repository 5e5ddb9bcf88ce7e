import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WatchkeeperError } from '../../../../core/errors.ts';
import { createLogger } from '../../../../core/log.ts';
import { createSinks } from '../../../../collectors/metrics/sinks/factory.ts';
import { remoteWriteOutputName, sinksSection } from '../../../../collectors/metrics/sinks/config.ts';
import { statusError } from '../../../../collectors/metrics/sinks/output-error.ts';

/** The messages of a failed parse, each with its path. */
function problems(input: unknown): string[] {
  const result = sinksSection.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('sinks config', () => {
  it('has working defaults: InfluxDB off, no remote_write', () => {
    const config = sinksSection.parse({});
    expect(config.influxdb).toMatchObject({
      enabled: false,
      bucket: 'watchkeeper/autogen',
      batchSize: 5000,
      queueCapacity: 200_000,
    });
    expect(config.influxdb.retry).toEqual({ attempts: 10, initialBackoffMs: 500, maxBackoffMs: 30_000 });
    expect(config.remoteWrite).toEqual([]);
  });

  it('fills in every remote_write default and names the output after its host', () => {
    const config = sinksSection.parse({ remoteWrite: [{ url: 'http://vm:8428/api/v1/write' }] });
    expect(config.remoteWrite[0]).toMatchObject({
      maxSamplesPerRequest: 5000,
      queueCapacity: 200_000,
      headers: {},
      tls: { insecureSkipVerify: false },
    });
    expect(remoteWriteOutputName(config.remoteWrite[0]!)).toBe('remote_write:vm:8428');
  });

  it('rejects unknown keys, credentials in URLs, two ways to authenticate, and an enabled InfluxDB without a token', () => {
    expect(problems({ influxdb: { bukket: 'x' } })).toEqual([expect.stringContaining('bukket')]);
    expect(problems({ remoteWrite: [{ url: 'http://user:secret@vm/api/v1/write' }] })).toEqual([
      'remoteWrite.0.url: put credentials in the auth fields, not in the URL',
    ]);
    // The issue carries no input, so `config check` cannot echo the password back.
    expect(
      JSON.stringify(
        sinksSection.safeParse({ remoteWrite: [{ url: 'http://user:secret@vm/api/v1/write' }] }).error?.issues,
      ),
    ).not.toContain('secret');
    expect(
      problems({
        remoteWrite: [{ url: 'http://vm/w', bearerToken: 't', basicAuth: { username: 'u', password: 'p' } }],
      }),
    ).toEqual([expect.stringContaining('choose one')]);
    expect(problems({ influxdb: { enabled: true } })).toEqual([
      'influxdb: an enabled InfluxDB output needs token or tokenFile',
    ]);
    expect(problems({ influxdb: { token: 'a', tokenFile: '/t' } })).toEqual([
      'influxdb: token and tokenFile: choose one',
    ]);
    expect(problems({ remoteWrite: [{ url: 'ftp://vm/w' }] })).toEqual([
      'remoteWrite.0.url: an http:// or https:// URL',
    ]);
    expect(problems({ remoteWrite: [{ url: 'http://vm/w', headers: { Authorization: 'Bearer x' } }] })).toEqual([
      expect.stringMatching(/^remoteWrite\.0\.headers: set credentials with bearerToken/),
    ]);
  });

  it('requires distinct names for receivers on the same host', () => {
    expect(problems({ remoteWrite: [{ url: 'http://vm:8428/a' }, { url: 'http://vm:8428/b' }] })).toEqual([
      'remoteWrite: remote_write outputs need distinct names (set `name` when two share a host)',
    ]);
    expect(
      problems({ remoteWrite: [{ url: 'http://vm:8428/a' }, { url: 'http://vm:8428/b', name: 'tenant-b' }] }),
    ).toEqual([]);
  });
});

describe('write answers', () => {
  it('retries 408, 429 and 5xx, never other 4xx, and reads Retry-After in seconds', () => {
    expect([400, 401, 404, 408, 413, 429, 500, 503].map((s) => statusError('o', s, '').retryable)).toEqual([
      false,
      false,
      false,
      true,
      false,
      true,
      true,
      true,
    ]);
    const error = statusError('o', 429, 'too many', '7');
    expect(error).toMatchObject({ reason: 'status_429', retryAfterMs: 7000 });
    expect(error.message).toBe('o: HTTP 429: too many');
  });
});

describe('createSinks', () => {
  it('fails with a configuration error naming the output and the file when a TLS file is missing', () => {
    const config = sinksSection.parse({
      remoteWrite: [{ url: 'https://vm:8428/api/v1/write', tls: { caFile: '/nonexistent/ca.pem' } }],
    });
    const build = () =>
      createSinks(config, { registry: new Registry(), logger: createLogger({ level: 'silent', format: 'json' }) });
    expect(build).toThrow(WatchkeeperError);
    expect(build).toThrow(
      /^metrics\.sinks\.remoteWrite \(remote_write:vm:8428\): ENOENT: no such file or directory, open '\/nonexistent\/ca\.pem'/,
    );
  });
});
