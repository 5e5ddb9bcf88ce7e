import { clusterLinks, clusterTags, clusterVariable, kubeNodeVariable, series, stat } from './cluster-common.ts';
import { dashboard, type GrafanaDashboard } from './grafana.ts';

const ksm = 'job="kube-state-metrics", cluster=~"$cluster"';
const nodes = `${ksm}, node=~"$nodename"`;
const alerts = 'alertstate="firing", cluster=~"$cluster"';

/** `sum(requests of <resource>) / sum(allocatable <resource>)` over the chosen nodes. */
function requestedShare(resource: 'cpu' | 'memory'): string {
  return (
    `sum(kube_pod_container_resource_requests{${nodes}, resource="${resource}"}) / ` +
    `sum(kube_node_status_allocatable{${nodes}, resource="${resource}"})`
  );
}

/** Requests and allocatable of one resource as two series of one panel. */
function requestedVsAllocatable(resource: 'cpu' | 'memory'): { expr: string; legend: string }[] {
  return [
    { expr: `sum(kube_pod_container_resource_requests{${nodes}, resource="${resource}"})`, legend: 'requested' },
    { expr: `sum(kube_node_status_allocatable{${nodes}, resource="${resource}"})`, legend: 'allocatable' },
  ];
}

/** The whole cluster at a glance: nodes, pods, requests against allocatable, API server, etcd and firing alerts. */
export function overviewDashboard(): GrafanaDashboard {
  return dashboard({
    uid: 'cluster-overview',
    title: 'Kubernetes / Cluster overview',
    description:
      'The cluster at a glance from the cluster-state series (kube-state-metrics names), the API server, etcd and ' +
      "Prometheus' ALERTS: nodes ready, pods by phase, CPU and memory requested against allocatable, API " +
      'availability, etcd leadership and the alerts firing now. The links lead to the detailed dashboards.',
    tags: clusterTags,
    variables: [clusterVariable, kubeNodeVariable],
    links: clusterLinks,
    panels: [
      stat(
        'Nodes ready',
        'Nodes whose Ready condition is true (KubeNodeNotReady fires for the others after 15 minutes).',
        'short',
        `sum(kube_node_status_condition{${nodes}, condition="Ready", status="true"})`,
        [{ value: 1, color: 'green' }],
        'red',
      ),
      stat(
        'Nodes not ready',
        'Nodes whose Ready condition is false or unknown: their pods are not started or are being evicted.',
        'short',
        `sum(kube_node_status_condition{${nodes}, condition="Ready", status!="true"})`,
        [{ value: 1, color: 'red' }],
      ),
      stat(
        'Pods running',
        'Pods in phase Running on the chosen nodes (all namespaces).',
        'short',
        `sum(kube_pod_status_phase{${ksm}, phase="Running"} * on (cluster, namespace, pod) group_left ` +
          `max by (cluster, namespace, pod) (kube_pod_info{${nodes}}))`,
        [{ value: 1, color: 'green' }],
        'red',
      ),
      stat(
        'Alerts firing',
        'Alerts firing now in this Prometheus, the always-firing Watchdog left out (0 when none fires).',
        'short',
        `count(ALERTS{${alerts}, alertname!="Watchdog"}) or vector(0)`,
        [
          { value: 1, color: 'orange' },
          { value: 5, color: 'red' },
        ],
      ),
      stat(
        'CPU requested / allocatable',
        'Sum of CPU requests of all containers against the allocatable CPU of the chosen nodes; ' +
          'above 100 % new pods stay Pending (KubeCPUOvercommit).',
        'percentunit',
        requestedShare('cpu'),
        [
          { value: 0.8, color: 'orange' },
          { value: 1, color: 'red' },
        ],
      ),
      stat(
        'Memory requested / allocatable',
        'Sum of memory requests of all containers against the allocatable memory of the chosen nodes ' +
          '(KubeMemoryOvercommit).',
        'percentunit',
        requestedShare('memory'),
        [
          { value: 0.8, color: 'orange' },
          { value: 1, color: 'red' },
        ],
      ),
      stat(
        'API availability (1 h)',
        'Share of API requests (WATCH, CONNECT excluded) answered without a 5xx over the last hour; ' +
          'the objective is 99 % over 30 days (Control plane dashboard).',
        'percentunit',
        `1 - max(apiserver_request:error_ratio_rate1h{cluster=~"$cluster"})`,
        [{ value: 0.99, color: 'green' }],
        'red',
      ),
      stat(
        'etcd members with a leader',
        'etcd members that see a leader, over the members scraped; below 100 % writes fail (etcdNoLeader).',
        'percentunit',
        `sum(etcd_server_has_leader{job="etcd", cluster=~"$cluster"}) / count(up{job="etcd", cluster=~"$cluster"})`,
        [{ value: 1, color: 'green' }],
        'red',
      ),
      series(
        'Pods by phase',
        'Pods in each phase (Pending, Running, Succeeded, Failed, Unknown) on the chosen nodes; Pending ' +
          'that stays up means pods that cannot be scheduled or pulled.',
        'short',
        [
          {
            expr:
              `sum by (phase) (kube_pod_status_phase{${ksm}} * on (cluster, namespace, pod) group_left ` +
              `max by (cluster, namespace, pod) (kube_pod_info{${nodes}}))`,
            legend: '{{phase}}',
          },
        ],
        [{ value: 1000, color: 'orange' }],
      ),
      series(
        'Node conditions',
        'Nodes with each condition true: Ready, and the pressure conditions (MemoryPressure, DiskPressure, ' +
          'PIDPressure, NetworkUnavailable) that should stay at 0.',
        'short',
        [{ expr: `sum by (condition) (kube_node_status_condition{${nodes}, status="true"})`, legend: '{{condition}}' }],
        [{ value: 1, color: 'orange' }],
      ),
      series(
        'CPU requested vs allocatable',
        'CPU cores requested by all containers against the cores the chosen nodes can give to pods.',
        'short',
        requestedVsAllocatable('cpu'),
        [{ value: 1000, color: 'orange' }],
      ),
      series(
        'Memory requested vs allocatable',
        'Memory requested by all containers against the memory the chosen nodes can give to pods.',
        'bytes',
        requestedVsAllocatable('memory'),
        [{ value: 1024 ** 4, color: 'orange' }],
      ),
      series(
        'API servers and etcd members up',
        'kube-apiserver and etcd targets answering their scrape (KubeAPIDown, etcdMembersDown).',
        'short',
        [
          { expr: `sum(up{job="kube-apiserver", cluster=~"$cluster"})`, legend: 'API servers' },
          { expr: `sum(up{job="etcd", cluster=~"$cluster"})`, legend: 'etcd members' },
        ],
        [{ value: 1, color: 'green' }],
      ),
      series(
        'Alerts firing by severity',
        'Alerts firing, by severity; the Watchdog (severity none) always fires, so its line proves the rules ' +
          'are evaluated.',
        'short',
        [{ expr: `count by (severity) (ALERTS{${alerts}})`, legend: '{{severity}}' }],
        [{ value: 1, color: 'orange' }],
      ),
    ],
  });
}
