import { Counter, Gauge, type Registry } from 'prom-client';
import { backupMetricNames } from '../metrics.ts';

/**
 * Metrics of API backups and restores, on top of the run metrics every backup has
 * (last success, duration, bytes, runs: labelled kind="api"). Names live in backup/metrics.ts.
 */
export class ApiBackupMetrics {
  /** Objects stored per resource by the last successful run of a backup. */
  readonly objects: Gauge<'name' | 'resource'>;
  /** Errors by reason: discovery_failed, vanished, list_forbidden, list_failed, ... */
  readonly errors: Counter<'name' | 'reason'>;
  /** Objects handled by restores, per resource and result (created, updated, skipped, failed). */
  readonly restored: Counter<'resource' | 'result'>;
  /** Duration of the last restore. */
  readonly restoreDuration: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.objects = new Gauge({
      name: backupMetricNames.apiObjects,
      help: 'Objects stored per resource by the last successful API backup.',
      labelNames: ['name', 'resource'],
      registers,
    });
    this.errors = new Counter({
      name: backupMetricNames.apiErrors,
      help: 'API backup errors by reason (discovery_failed, vanished, list_<reason>, list_failed).',
      labelNames: ['name', 'reason'],
      registers,
    });
    this.restored = new Counter({
      name: backupMetricNames.restoreObjects,
      help: 'Objects handled by API restores, by resource and result (created, updated, skipped, failed).',
      labelNames: ['resource', 'result'],
      registers,
    });
    this.restoreDuration = new Gauge({
      name: backupMetricNames.restoreDuration,
      help: 'Duration of the last API restore in seconds.',
      registers,
    });
  }
}
