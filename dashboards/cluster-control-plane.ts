import { clusterLinks, clusterTags, clusterVariable, quantile, series, stat } from './cluster-common.ts';
import { dashboard, type GrafanaDashboard } from './grafana.ts';

const api = 'job="kube-apiserver", cluster=~"$cluster"';
const scheduler = 'job="kube-scheduler", cluster=~"$cluster"';
const cm = 'job="kube-controller-manager", cluster=~"$cluster"';
const schedulerAndCm = 'job=~"kube-scheduler|kube-controller-manager", cluster=~"$cluster"';
const budget = '0.01';

/** Burn rate targets (ratio over the budget) of one SLO for the four alerting windows. */
function burnRates(kind: 'error' | 'slow'): { expr: string; legend: string }[] {
  return ['1h', '6h', '1d', '3d'].map((w) => ({
    expr: `apiserver_request:${kind}_ratio_rate${w}{cluster=~"$cluster"} / ${budget}`,
    legend: `${w} window`,
  }));
}

/** The API server with its availability and latency SLOs (99 % / 30 days), the scheduler and the controller-manager. */
export function controlPlaneDashboard(): GrafanaDashboard {
  return dashboard({
    uid: 'cluster-control-plane',
    title: 'Kubernetes / Control plane',
    description:
      'API server SLOs (99 % of requests without a 5xx and within the latency objective over 30 days), ' +
      'request rates and latency, client certificates; scheduler and controller-manager health and queues.',
    tags: clusterTags,
    variables: [clusterVariable],
    links: clusterLinks,
    panels: [
      stat(
        'API servers up',
        'kube-apiserver targets answering their scrape (alert KubeAPIDown at none for 15 min).',
        'short',
        `sum(up{${api}})`,
        [{ value: 1, color: 'green' }],
        'red',
      ),
      stat(
        'Availability (30 d)',
        'Share of API requests (WATCH, CONNECT excluded) without a 5xx answer over 30 days; ' + 'objective 99 %.',
        'percentunit',
        `1 - max(apiserver_request:error_ratio_rate30d{cluster=~"$cluster"})`,
        [{ value: 0.99, color: 'green' }],
        'red',
      ),
      stat(
        'Error budget left (30 d)',
        'Share of the 1 % monthly error budget not yet spent; below 0 the objective is ' + 'missed.',
        'percentunit',
        `1 - max(apiserver_request:error_ratio_rate30d{cluster=~"$cluster"}) / ${budget}`,
        [
          { value: 0, color: 'orange' },
          { value: 0.25, color: 'green' },
        ],
        'red',
      ),
      stat(
        'Schedulers and controller-managers up',
        'kube-scheduler plus kube-controller-manager targets answering.',
        'short',
        `sum(up{job=~"kube-scheduler|kube-controller-manager", cluster=~"$cluster"})`,
        [{ value: 2, color: 'green' }],
        'red',
      ),
      series(
        'Error budget burn rate',
        'How many times faster than allowed the error budget is spent, per alerting ' +
          'window; KubeAPIErrorBudgetBurn pages at 14.4 (1 h) and 6 (6 h), warns at 3 (1 d) and 1 (3 d).',
        'short',
        burnRates('error'),
        [
          { value: 1, color: 'orange' },
          { value: 14.4, color: 'red' },
        ],
      ),
      series(
        'Latency budget burn rate',
        'The same for requests slower than their objective (reads 1 s per object, ' +
          '5 s per namespace, 30 s per cluster; writes 1 s); alert KubeAPILatencyBudgetBurn.',
        'short',
        burnRates('slow'),
        [
          { value: 1, color: 'orange' },
          { value: 14.4, color: 'red' },
        ],
      ),
      series(
        'Requests per second by verb and code',
        'API requests answered per second, by verb and HTTP code.',
        'reqps',
        [{ expr: `sum by (verb, code) (rate(apiserver_request_total{${api}}[5m]))`, legend: '{{verb}} {{code}}' }],
        [{ value: 1000, color: 'orange' }],
      ),
      series(
        '5xx ratio (5 min)',
        'Share of requests answered with a 5xx code over 5 minutes; the 1 % line is the ' + 'objective.',
        'percentunit',
        [{ expr: `apiserver_request:error_ratio_rate5m{cluster=~"$cluster"}`, legend: 'errors' }],
        [{ value: 0.01, color: 'red' }],
      ),
      series(
        'Request latency p99 by verb',
        '99th percentile of API request duration without webhooks and queueing ' +
          '(apiserver_request_sli_duration_seconds).',
        's',
        [
          {
            expr: quantile(0.99, 'verb, ', 'apiserver_request_sli_duration_seconds_bucket', api),
            legend: '{{verb}}',
          },
        ],
        [
          { value: 1, color: 'orange' },
          { value: 5, color: 'red' },
        ],
      ),
      series(
        'Requests in flight',
        "Requests being served, by kind (mutating or read-only), against the server's " +
          'max-requests-inflight limits.',
        'short',
        [
          {
            expr: `sum by (request_kind) (apiserver_current_inflight_requests{${api}})`,
            legend: '{{request_kind}}',
          },
        ],
        [{ value: 400, color: 'orange' }],
      ),
      series(
        'Shortest client certificate lifetime left (p1)',
        'The 1st percentile of the remaining lifetime of ' +
          'client certificates presented to the API server; KubeClientCertificateExpiration warns under 7 days.',
        's',
        [
          {
            expr: quantile(0.01, 'instance, ', 'apiserver_client_certificate_expiration_seconds_bucket', api, '30m'),
            legend: '{{instance}}',
          },
        ],
        [
          { value: 86400, color: 'orange' },
          { value: 604800, color: 'green' },
        ],
      ),
      series(
        'Aggregated APIs unavailable',
        'APIServices the API server marks unavailable (1) — KubeAggregatedAPIDown.',
        'short',
        [{ expr: `max by (name) (aggregator_unavailable_apiservice{${api}})`, legend: '{{name}}' }],
        [{ value: 1, color: 'red' }],
      ),
      series(
        'Scheduling attempts per second by result',
        'Pods the scheduler tried to place: scheduled, ' + 'unschedulable (no node fits) or error.',
        'ops',
        [
          {
            expr: `sum by (result) (rate(scheduler_schedule_attempts_total{${scheduler}}[5m]))`,
            legend: '{{result}}',
          },
        ],
        [{ value: 100, color: 'orange' }],
      ),
      series(
        'Pending pods by queue',
        "Pods waiting in the scheduler's queues (active, backoff, unschedulable, gated).",
        'short',
        [{ expr: `sum by (queue) (scheduler_pending_pods{${scheduler}})`, legend: '{{queue}}' }],
        [{ value: 10, color: 'orange' }],
      ),
      series(
        'Scheduling attempt p99',
        '99th percentile of the time to decide where a pod goes.',
        's',
        [
          {
            expr: quantile(0.99, '', 'scheduler_scheduling_attempt_duration_seconds_bucket', scheduler),
            legend: 'p99',
          },
        ],
        [{ value: 1, color: 'orange' }],
      ),
      series(
        'Controller work queue depth',
        "Items waiting in each controller's work queue; a queue that keeps " +
          'growing is a controller that falls behind.',
        'short',
        [
          {
            expr: `topk(10, sum by (name) (workqueue_depth{${cm}}))`,
            legend: '{{name}}',
          },
        ],
        [{ value: 100, color: 'orange' }],
      ),
      series(
        'Controller work queue wait p99',
        "Time items wait in the controllers' queues before being processed.",
        's',
        [
          {
            expr: `topk(10, ${quantile(0.99, 'name, ', 'workqueue_queue_duration_seconds_bucket', cm)})`,
            legend: '{{name}}',
          },
        ],
        [
          { value: 1, color: 'orange' },
          { value: 10, color: 'red' },
        ],
      ),
      series(
        'Controller-manager and scheduler CPU',
        'CPU seconds per second used by the two processes.',
        'short',
        [
          {
            expr: `sum by (job) (rate(process_cpu_seconds_total{${schedulerAndCm}}[5m]))`,
            legend: '{{job}}',
          },
        ],
        [{ value: 1, color: 'orange' }],
      ),
    ],
  });
}
