import { dashboard, type GrafanaDashboard } from './grafana.ts';

/** Backups: age of the newest good backup, run results, sizes, durations, retention. */
export function backupDashboard(): GrafanaDashboard {
  return dashboard({
    uid: 'watchkeeper-backup',
    title: 'watchkeeper / Backups',
    description: 'etcd snapshots and API backups to S3: freshness, failures, size, duration, retention.',
    panels: [
      {
        title: 'Age of newest good backup',
        type: 'stat',
        unit: 's',
        width: 12,
        targets: [{ expr: 'time() - watchkeeper_backup_last_success_timestamp_seconds', legend: '{{name}}' }],
        thresholds: [{ value: 26 * 3600, color: 'red' }],
      },
      {
        title: 'Failed runs (24h)',
        type: 'stat',
        unit: 'short',
        width: 12,
        targets: [
          {
            expr: 'sum by (name) (increase(watchkeeper_backup_runs_total{result="failure"}[24h]))',
            legend: '{{name}}',
          },
        ],
        thresholds: [{ value: 1, color: 'red' }],
      },
      {
        title: 'Runs by result',
        type: 'timeseries',
        unit: 'short',
        targets: [
          {
            expr: 'sum by (name, result) (increase(watchkeeper_backup_runs_total[1h]))',
            legend: '{{name}} {{result}}',
          },
        ],
      },
      {
        title: 'Stored size of the last backup',
        type: 'timeseries',
        unit: 'bytes',
        targets: [{ expr: 'watchkeeper_backup_bytes', legend: '{{name}}' }],
      },
      {
        title: 'Duration of the last run',
        type: 'timeseries',
        unit: 's',
        targets: [{ expr: 'watchkeeper_backup_duration_seconds', legend: '{{name}}' }],
      },
      {
        title: 'API backups: objects per resource (last success)',
        type: 'timeseries',
        unit: 'short',
        targets: [{ expr: 'topk(10, sum by (resource) (watchkeeper_backup_api_objects))', legend: '{{resource}}' }],
      },
      {
        title: 'API backups: errors by reason',
        type: 'timeseries',
        unit: 'short',
        targets: [
          {
            expr: 'sum by (name, reason) (increase(watchkeeper_backup_api_errors_total[1h]))',
            legend: '{{name}} {{reason}}',
          },
        ],
      },
      {
        title: 'API backups: objects stored (last success)',
        type: 'stat',
        unit: 'short',
        width: 12,
        targets: [{ expr: 'sum by (name) (watchkeeper_backup_api_objects)', legend: '{{name}}' }],
      },
      {
        title: 'API backups: duration of the last run',
        type: 'stat',
        unit: 's',
        width: 12,
        targets: [{ expr: 'watchkeeper_backup_duration_seconds{kind="api"}', legend: '{{name}}' }],
      },
      {
        title: 'Deleted by retention',
        type: 'timeseries',
        unit: 'short',
        targets: [
          { expr: 'sum by (name) (increase(watchkeeper_backup_retention_deleted_total[1h]))', legend: '{{name}}' },
        ],
      },
    ],
  });
}
