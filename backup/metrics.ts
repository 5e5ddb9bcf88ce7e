import { Counter, Gauge, type Registry } from 'prom-client';

/** Metric names of the backup component; alerts and dashboards import them from here. */
export const backupMetricNames = {
  lastSuccess: 'watchkeeper_backup_last_success_timestamp_seconds',
  duration: 'watchkeeper_backup_duration_seconds',
  bytes: 'watchkeeper_backup_bytes',
  runs: 'watchkeeper_backup_runs_total',
  retentionDeleted: 'watchkeeper_backup_retention_deleted_total',
  apiObjects: 'watchkeeper_backup_api_objects',
  apiErrors: 'watchkeeper_backup_api_errors_total',
  restoreObjects: 'watchkeeper_restore_api_objects_total',
  restoreDuration: 'watchkeeper_restore_api_duration_seconds',
} as const;

/** Outcome label of a run. */
export type RunResult = 'success' | 'failure' | 'skipped' | 'aborted';

/** The backup component's metrics, registered on the given registry. Labels: name, kind. */
export class BackupMetrics {
  readonly lastSuccess: Gauge<'name' | 'kind'>;
  readonly duration: Gauge<'name' | 'kind'>;
  readonly bytes: Gauge<'name' | 'kind'>;
  readonly runs: Counter<'name' | 'kind' | 'result'>;
  readonly retentionDeleted: Counter<'name' | 'kind'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.lastSuccess = new Gauge({
      name: backupMetricNames.lastSuccess,
      help: 'Unix time when the last successful backup completed.',
      labelNames: ['name', 'kind'],
      registers,
    });
    this.duration = new Gauge({
      name: backupMetricNames.duration,
      help: 'Duration of the last backup run, successful or not, in seconds.',
      labelNames: ['name', 'kind'],
      registers,
    });
    this.bytes = new Gauge({
      name: backupMetricNames.bytes,
      help: 'Bytes stored by the last successful backup (after compression and encryption).',
      labelNames: ['name', 'kind'],
      registers,
    });
    this.runs = new Counter({
      name: backupMetricNames.runs,
      help: 'Backup runs by result (success, failure, skipped when a run of the same backup was still going, aborted when leadership was lost or the service stopped during the run).',
      labelNames: ['name', 'kind', 'result'],
      registers,
    });
    this.retentionDeleted = new Counter({
      name: backupMetricNames.retentionDeleted,
      help: 'Backups deleted by the retention policy.',
      labelNames: ['name', 'kind'],
      registers,
    });
  }

  /** Records the end of one run. */
  recordRun(
    labels: { name: string; kind: string },
    result: RunResult,
    durationSeconds: number,
    storedBytes?: number,
    completedAt: Date = new Date(),
  ): void {
    this.runs.inc({ ...labels, result });
    if (result === 'skipped' || result === 'aborted') return;
    this.duration.set(labels, durationSeconds);
    if (result === 'success') {
      this.lastSuccess.set(labels, completedAt.getTime() / 1000);
      if (storedBytes !== undefined) this.bytes.set(labels, storedBytes);
    }
  }
}
