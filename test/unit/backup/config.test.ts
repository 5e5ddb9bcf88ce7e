import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../core/config/load.ts';

describe('backup config section', () => {
  it('has working defaults', () => {
    const config = validateConfig({}, 'test');
    expect(config.backup.storage).toMatchObject({ type: 'directory', prefix: 'watchkeeper' });
    expect(config.backup.etcd.compression).toBe('zstd');
    expect(config.backup.schedules).toEqual([]);
  });

  it('names the path, expectation and value of bad settings', () => {
    const bad = {
      backup: {
        storage: { type: 's3' },
        schedules: [
          { name: 'etcd-hourly', cron: 'every hour' },
          { name: 'x', cron: '0 * * * *', retention: { keepLast: 0 } },
        ],
      },
    };
    let message = '';
    try {
      validateConfig(bad, 'test');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("backup.storage.s3: type 's3' needs the s3 settings");
    expect(message).toContain('backup.schedules.0.cron: a cron expression such as "0 * * * *"');
    expect(message).toContain('found "every hour"');
    expect(message).toContain('backup.schedules.1.retention: a retention policy must keep something');
    expect(() => validateConfig({ backup: { etcd: { compression: 'lz4' } } }, 't')).toThrow(
      'backup.etcd.compression: expected one of "zstd", "gzip", "none", found "lz4"',
    );
  });

  it('rejects duplicate schedule names and unknown keys', () => {
    expect(() =>
      validateConfig(
        {
          backup: {
            schedules: [
              { name: 'a', cron: '* * * * *' },
              { name: 'a', cron: '* * * * *' },
            ],
          },
        },
        't',
      ),
    ).toThrow(/schedule names must be unique/);
    expect(() => validateConfig({ backup: { storage: { bucket: 'x' } } }, 't')).toThrow(
      /backup.storage: unknown key "bucket"/,
    );
  });
});
