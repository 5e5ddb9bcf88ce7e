import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { BackupMetrics } from '../../../backup/metrics.ts';
import { BackupScheduler, type ScheduledBackup } from '../../../backup/schedule.ts';

const logger = pino({ level: 'silent' });
const yearly: ScheduledBackup = { name: 'etcd-yearly', kind: 'etcd', cron: '0 0 1 1 *', catchUp: true };
let scheduler: BackupScheduler | undefined;
afterEach(async () => {
  await scheduler?.deactivate();
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function counter(registry: Registry, result: string): Promise<number> {
  const metric = await registry.getSingleMetric('watchkeeper_backup_runs_total')!.get();
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe('BackupScheduler', () => {
  it('never runs two runs of the same backup at once', async () => {
    const registry = new Registry();
    const gate = deferred();
    let runs = 0;
    scheduler = new BackupScheduler({
      backups: [{ ...yearly, catchUp: false }],
      metrics: new BackupMetrics(registry),
      logger,
      lastSuccess: () => Promise.resolve(undefined),
      run: async () => {
        runs++;
        await gate.promise;
        return { bytes: 10 };
      },
    });
    scheduler.activate();
    const first = scheduler.trigger(yearly, 'schedule');
    expect(first).toBeDefined();
    expect(scheduler.trigger(yearly, 'schedule')).toBeUndefined();
    gate.resolve();
    await first;
    expect(runs).toBe(1);
    expect(await counter(registry, 'skipped')).toBe(1);
    expect(await counter(registry, 'success')).toBe(1);
    await scheduler.trigger(yearly, 'schedule');
    expect(runs).toBe(2);
  });

  it('counts a failed run and carries on', async () => {
    const registry = new Registry();
    scheduler = new BackupScheduler({
      backups: [yearly],
      metrics: new BackupMetrics(registry),
      logger,
      lastSuccess: () => Promise.resolve(new Date()),
      run: () => Promise.reject(new Error('etcd down')),
    });
    scheduler.activate();
    await scheduler.trigger(yearly, 'schedule');
    expect(await counter(registry, 'failure')).toBe(1);
  });

  it('catches up once at activation only when the last success is older than the cron period', async () => {
    const now = new Date('2026-06-01T12:00:00Z');
    const hourly: ScheduledBackup = { name: 'h', kind: 'etcd', cron: '0 * * * *', catchUp: true };
    expect(BackupScheduler.periodMs(hourly)).toBe(3600_000);
    for (const [last, expected] of [
      [undefined, 1],
      [new Date('2026-06-01T10:30:00Z'), 1],
      [new Date('2026-06-01T11:30:00Z'), 0],
    ] as const) {
      let runs = 0;
      const done = deferred();
      scheduler = new BackupScheduler({
        backups: [hourly],
        metrics: new BackupMetrics(new Registry()),
        logger,
        now: () => now,
        lastSuccess: () => {
          setTimeout(done.resolve, 50);
          return Promise.resolve(last);
        },
        run: () => {
          runs++;
          return Promise.resolve({ bytes: 1 });
        },
      });
      scheduler.activate();
      await done.promise;
      await scheduler.deactivate();
      expect(runs).toBe(expected);
    }
  });

  it('stops arming schedules when leadership is lost', async () => {
    const leadership = new AbortController();
    scheduler = new BackupScheduler({
      backups: [{ ...yearly, catchUp: false }],
      metrics: new BackupMetrics(new Registry()),
      logger,
      lastSuccess: () => Promise.resolve(undefined),
      run: () => Promise.resolve({ bytes: 1 }),
    });
    scheduler.activate(leadership.signal);
    expect(scheduler.isActive()).toBe(true);
    leadership.abort();
    expect(scheduler.isActive()).toBe(false);
    expect(scheduler.trigger(yearly, 'schedule')).toBeUndefined();
  });
});

describe('BackupScheduler when deactivated during a run', () => {
  it('aborts the run through its signal and counts it as aborted, not as a failure', async () => {
    const registry = new Registry();
    const started = deferred();
    let seen: AbortSignal | undefined;
    const local = new BackupScheduler({
      backups: [{ ...yearly, catchUp: false }],
      metrics: new BackupMetrics(registry),
      logger,
      lastSuccess: () => Promise.resolve(undefined),
      run: (_b, signal) =>
        new Promise((_resolve, reject) => {
          seen = signal;
          started.resolve();
          signal.addEventListener('abort', () => reject(new Error('upload aborted')), { once: true });
        }),
    });
    const leadership = new AbortController();
    local.activate(leadership.signal);
    const run = local.trigger(yearly, 'schedule');
    await started.promise;
    expect(seen?.aborted).toBe(false);
    leadership.abort(new Error('leadership lost'));
    await run;
    expect(seen?.aborted).toBe(true);
    expect(local.isActive()).toBe(false);
    expect(await counter(registry, 'aborted')).toBe(1);
    expect(await counter(registry, 'failure')).toBe(0);
  });
});
