import { dashboard, type GrafanaDashboard } from './grafana.ts';

/** The black-box prober: is the cluster usable end to end, which step breaks, how fast are pods. */
export function proberDashboard(): GrafanaDashboard {
  return dashboard({
    uid: 'watchkeeper-prober',
    title: 'watchkeeper / Prober',
    description: 'Black-box probes of the Kubernetes API: namespace, writes, workload, service discovery, teardown.',
    panels: [
      {
        title: 'Probe passing',
        type: 'stat',
        unit: 'bool_yes_no',
        width: 6,
        targets: [{ expr: 'min(watchkeeper_probe_success)' }],
        thresholds: [
          { value: 0, color: 'red' },
          { value: 1, color: 'green' },
        ],
      },
      {
        title: 'Last success',
        type: 'stat',
        unit: 's',
        width: 6,
        targets: [{ expr: 'time() - max(watchkeeper_probe_last_success_timestamp_seconds)' }],
        thresholds: [{ value: 600, color: 'red' }],
      },
      {
        title: 'Consecutive failures',
        type: 'stat',
        unit: 'short',
        width: 6,
        targets: [{ expr: 'max(watchkeeper_probe_consecutive_failures)' }],
        thresholds: [
          { value: 1, color: 'orange' },
          { value: 3, color: 'red' },
        ],
      },
      {
        title: 'Leftover namespaces collected (24h)',
        type: 'stat',
        unit: 'short',
        width: 6,
        targets: [{ expr: 'sum(increase(watchkeeper_probe_leftover_namespaces_collected_total[24h]))' }],
      },
      {
        title: 'Step success',
        type: 'timeseries',
        unit: 'short',
        description: '1 when the step passed in the last run.',
        targets: [{ expr: 'min by (step) (watchkeeper_probe_step_success)', legend: '{{step}}' }],
      },
      {
        title: 'Step duration p99',
        type: 'timeseries',
        unit: 's',
        targets: [
          {
            expr: 'histogram_quantile(0.99, sum by (step, le) (rate(watchkeeper_probe_step_duration_seconds_bucket[15m])))',
            legend: '{{step}}',
          },
        ],
        thresholds: [{ value: 30, color: 'red' }],
      },
      {
        title: 'Pod startup latency p99 (SLO 5 s)',
        type: 'timeseries',
        unit: 's',
        targets: [
          { expr: 'watchkeeper:probe_pod_startup_latency_seconds:p99_1h', legend: 'p99 1h' },
          {
            expr: 'histogram_quantile(0.5, sum by (le) (rate(watchkeeper_probe_pod_startup_latency_seconds_bucket[1h])))',
            legend: 'p50 1h',
          },
        ],
        thresholds: [{ value: 5, color: 'red' }],
      },
      {
        title: 'Runs by result',
        type: 'timeseries',
        unit: 'short',
        targets: [{ expr: 'sum by (result) (increase(watchkeeper_probe_runs_total[15m]))', legend: '{{result}}' }],
      },
      {
        title: 'Watch latency p99',
        type: 'timeseries',
        unit: 's',
        targets: [
          {
            expr: 'histogram_quantile(0.99, sum by (le) (rate(watchkeeper_probe_watch_latency_seconds_bucket[15m])))',
            legend: 'create to ADDED',
          },
        ],
      },
      {
        title: 'Run duration',
        type: 'timeseries',
        unit: 's',
        targets: [{ expr: 'max(watchkeeper_probe_run_duration_seconds)', legend: 'last run' }],
      },
    ],
  });
}
