import { createTask, type ScheduledTask } from 'node-cron';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { BackupMetrics } from './metrics.ts';

/** One scheduled backup as the scheduler sees it. */
export interface ScheduledBackup {
  name: string;
  kind: string;
  cron: string;
  timezone?: string | undefined;
  catchUp: boolean;
}

/** Outcome of one run, for metrics. */
export interface RunOutcome {
  /** Bytes stored. */
  bytes: number;
}

/** Options of {@link BackupScheduler}. */
export interface SchedulerOptions {
  backups: readonly ScheduledBackup[];
  /** Takes one backup (and applies retention); throws on failure. `signal` aborts when this replica stops being active: the run must then undo itself and throw. */
  run(backup: ScheduledBackup, signal: AbortSignal): Promise<RunOutcome>;
  /** Completion time of the newest successful backup of this name, if any. */
  lastSuccess(backup: ScheduledBackup): Promise<Date | undefined>;
  metrics: BackupMetrics;
  logger: Logger;
  /** Clock (tests). */
  now?: () => Date;
}

/**
 * Runs each backup on its cron schedule while active. Never runs two runs of the same backup at
 * once (a tick during a run is skipped and counted), and when activated runs a backup once at
 * once if its newest success is older than its cron period. Activation follows leadership: only
 * the replica holding the Lease is active, and a run going when leadership is lost is aborted
 * (counted as `aborted`). A failed run is logged and counted, never thrown.
 */
export class BackupScheduler {
  private readonly options: SchedulerOptions;
  private tasks: ScheduledTask[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private active: AbortController | undefined;

  constructor(options: SchedulerOptions) {
    this.options = options;
  }

  /** True while schedules are armed. */
  isActive(): boolean {
    return this.active !== undefined;
  }

  /** Arms every schedule and starts catch-up runs; `signal` (leadership) deactivates when it aborts. */
  activate(signal?: AbortSignal): void {
    if (this.active) return;
    const controller = new AbortController();
    this.active = controller;
    signal?.addEventListener(
      'abort',
      () => {
        void this.deactivate();
      },
      { once: true },
    );
    for (const backup of this.options.backups) {
      const task = createTask(
        backup.cron,
        () => {
          void this.trigger(backup, 'schedule');
        },
        { name: `backup-${backup.name}`, timezone: backup.timezone ?? 'Etc/UTC', noOverlap: false },
      );
      void task.start();
      this.tasks.push(task);
      if (backup.catchUp) void this.catchUp(backup, controller.signal);
    }
    this.options.logger.info({ backups: this.options.backups.map((b) => b.name) }, 'Backup schedules armed.');
  }

  /** Disarms the schedules; runs in progress are aborted (their signal fires) and awaited. */
  async deactivate(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    active.abort();
    for (const task of this.tasks) await task.destroy();
    this.tasks = [];
    await Promise.all(this.running.values());
    this.options.logger.info('Backup schedules disarmed.');
  }

  /** Starts a run now unless one of the same backup is going; returns the run (for tests and catch-up). */
  trigger(backup: ScheduledBackup, reason: 'schedule' | 'catch-up'): Promise<void> | undefined {
    const labels = { name: backup.name, kind: backup.kind };
    if (!this.active) return undefined;
    if (this.running.has(backup.name)) {
      this.options.metrics.recordRun(labels, 'skipped', 0);
      this.options.logger.warn({ backup: backup.name, reason }, 'Previous run still going: this run is skipped.');
      return undefined;
    }
    const signal = this.active.signal;
    const run = this.runOnce(backup, reason, signal).finally(() => this.running.delete(backup.name));
    this.running.set(backup.name, run);
    return run;
  }

  /** The cron period of a backup: the time between its next two runs. */
  static periodMs(backup: Pick<ScheduledBackup, 'cron' | 'timezone'>): number {
    const task = createTask(backup.cron, () => undefined, { timezone: backup.timezone ?? 'Etc/UTC' });
    try {
      const [a, b] = task.getNextRuns(2);
      return a && b ? b.getTime() - a.getTime() : 0;
    } finally {
      void task.destroy();
    }
  }

  private async catchUp(backup: ScheduledBackup, signal: AbortSignal): Promise<void> {
    try {
      const last = await this.options.lastSuccess(backup);
      if (signal.aborted) return;
      const now = (this.options.now ?? (() => new Date()))();
      const period = BackupScheduler.periodMs(backup);
      if (last === undefined || now.getTime() - last.getTime() > period) {
        this.options.logger.info(
          { backup: backup.name, lastSuccess: last?.toISOString() ?? 'never' },
          'Last success is older than a period: catching up now.',
        );
        await this.trigger(backup, 'catch-up');
      }
    } catch (error) {
      this.options.logger.error({ backup: backup.name, error: describeError(error) }, 'Catch-up check failed.');
    }
  }

  private async runOnce(backup: ScheduledBackup, reason: string, signal: AbortSignal): Promise<void> {
    const labels = { name: backup.name, kind: backup.kind };
    const started = Date.now();
    try {
      this.options.logger.debug({ backup: backup.name, reason }, 'Backup run starting.');
      const outcome = await this.options.run(backup, signal);
      this.options.metrics.recordRun(labels, 'success', (Date.now() - started) / 1000, outcome.bytes);
    } catch (error) {
      if (signal.aborted) {
        // Leadership lost or the service stopping: the run undid itself, which is not a failure of the backup.
        this.options.metrics.recordRun(labels, 'aborted', (Date.now() - started) / 1000);
        this.options.logger.info(
          { backup: backup.name, reason, error: describeError(error) },
          'Backup run aborted (leadership lost or stopping); nothing of it was kept.',
        );
        return;
      }
      this.options.metrics.recordRun(labels, 'failure', (Date.now() - started) / 1000);
      this.options.logger.error({ backup: backup.name, reason, error: describeError(error) }, 'Backup run failed.');
    }
  }
}
