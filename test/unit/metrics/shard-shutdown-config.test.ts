import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../core/config/schema.ts';

function problems(config: unknown): string[] {
  const result = configSchema.safeParse(config);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('sharding and the shutdown budget', () => {
  it('fits the defaults: leaving the shard group (grace + 3 renewals) + 5 s is within shutdownTimeoutSeconds', () => {
    const config = configSchema.parse({ metrics: { sharding: { enabled: true } } });
    const { graceSeconds, renewSeconds } = config.metrics.sharding;
    expect(graceSeconds + 3 * renewSeconds + 5).toBeLessThanOrEqual(config.shutdownTimeoutSeconds);
  });

  it('refuses a shutdown budget too short to leave the group, naming both values', () => {
    expect(
      problems({
        shutdownTimeoutSeconds: 25,
        metrics: { sharding: { enabled: true, graceSeconds: 30, renewSeconds: 5 } },
      }),
    ).toEqual([
      'shutdownTimeoutSeconds: shutdownTimeoutSeconds (25) must be at least metrics.sharding.graceSeconds (30) + ' +
        '3 × metrics.sharding.renewSeconds (5) + 5 = 50: a replica leaving the shard group waits for a plan without ' +
        'it for graceSeconds + 3 renewals, and stopping the scrapes and outputs needs the rest',
    ]);
    expect(
      problems({
        shutdownTimeoutSeconds: 50,
        metrics: { sharding: { enabled: true, graceSeconds: 30, renewSeconds: 5 } },
      }),
    ).toEqual([]);
  });

  it('does not apply without sharding (the agent, an unsharded collector)', () => {
    expect(problems({ shutdownTimeoutSeconds: 5, metrics: { sharding: { graceSeconds: 30 } } })).toEqual([]);
  });
});
