import { dashboard, type GrafanaDashboard } from './grafana.ts';

/** The log shipper: throughput, sink health, lag and losses, per node. */
export function logsDashboard(): GrafanaDashboard {
  return dashboard({
    uid: 'watchkeeper-logs',
    title: 'watchkeeper / Log shipper',
    description:
      'Container, component and audit logs shipped to Elasticsearch: throughput, acknowledgements, lag, retries, dead letters.',
    panels: [
      {
        title: 'Lines read per second',
        type: 'timeseries',
        unit: 'short',
        targets: [{ expr: 'sum by (source) (rate(watchkeeper_logs_lines_read_total[5m]))', legend: '{{source}}' }],
      },
      {
        title: 'Bytes read per second',
        type: 'timeseries',
        unit: 'Bps',
        targets: [{ expr: 'sum by (source) (rate(watchkeeper_logs_bytes_read_total[5m]))', legend: '{{source}}' }],
      },
      {
        title: 'Events acknowledged per second',
        type: 'timeseries',
        unit: 'short',
        targets: [{ expr: 'sum by (sink) (rate(watchkeeper_logs_events_shipped_total[5m]))', legend: '{{sink}}' }],
      },
      {
        title: 'Bulk latency p99',
        type: 'timeseries',
        unit: 's',
        targets: [
          {
            expr: 'histogram_quantile(0.99, sum by (sink, le) (rate(watchkeeper_logs_bulk_duration_seconds_bucket[5m])))',
            legend: '{{sink}}',
          },
        ],
      },
      {
        title: 'Lag (bytes not yet acknowledged)',
        type: 'timeseries',
        unit: 'bytes',
        targets: [{ expr: 'sum by (instance) (watchkeeper_logs_lag_bytes)', legend: '{{instance}}' }],
        thresholds: [{ value: 256 * 1024 * 1024, color: 'red' }],
      },
      {
        title: 'Retries and dead letters per second',
        type: 'timeseries',
        unit: 'short',
        targets: [
          { expr: 'sum by (reason) (rate(watchkeeper_logs_retries_total[5m]))', legend: 'retry {{reason}}' },
          { expr: 'sum(rate(watchkeeper_logs_dead_lettered_total[5m]))', legend: 'dead-lettered' },
        ],
      },
      {
        title: 'Files tracked',
        type: 'timeseries',
        unit: 'short',
        targets: [{ expr: 'sum by (source) (watchkeeper_logs_files_tracked)', legend: '{{source}}' }],
      },
      {
        title: 'Checkpoint age',
        type: 'timeseries',
        unit: 's',
        targets: [{ expr: 'max by (instance) (watchkeeper_logs_checkpoint_age_seconds)', legend: '{{instance}}' }],
        thresholds: [{ value: 300, color: 'red' }],
      },
    ],
  });
}
