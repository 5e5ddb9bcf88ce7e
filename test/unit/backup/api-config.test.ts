import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../core/config/load.ts';

describe('kind: api schedules', () => {
  it('take API settings with defaults', () => {
    const config = validateConfig(
      {
        backup: {
          schedules: [
            {
              name: 'api-nightly',
              kind: 'api',
              cron: '30 2 * * *',
              api: { selectors: ['app=payments', 'tier in (a,b)'] },
            },
          ],
        },
      },
      'test',
    );
    expect(config.backup.schedules[0]).toMatchObject({
      kind: 'api',
      api: {
        selectors: ['app=payments', 'tier in (a,b)'],
        clusterResources: 'referenced',
        compression: 'zstd',
        concurrency: 4,
        pageSize: 500,
        includeNamespaces: [],
      },
    });
  });

  it('refuse a bad selector with its path and position, unknown keys, and api settings on an etcd schedule', () => {
    expect(() =>
      validateConfig(
        { backup: { schedules: [{ name: 'a', kind: 'api', cron: '* * * * *', api: { selectors: ['app in web'] } }] } },
        't',
      ),
    ).toThrow(/backup\.schedules\.0\.api\.selectors\.0: label selector "app in web": at position 5/);
    expect(() =>
      validateConfig(
        { backup: { schedules: [{ name: 'a', kind: 'api', cron: '* * * * *', api: { selector: 'x' } }] } },
        't',
      ),
    ).toThrow(/backup\.schedules\.0\.api: unknown key "selector"/);
    expect(() => validateConfig({ backup: { schedules: [{ name: 'a', cron: '* * * * *', api: {} }] } }, 't')).toThrow(
      "backup.schedules.0.api: api settings need kind: 'api'",
    );
  });
});
