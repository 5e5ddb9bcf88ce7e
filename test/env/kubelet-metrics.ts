import { stringify } from 'yaml';

/** kwok's metrics path of a node: the kubelet's and cAdvisor's series of that node together. */
export const kwokKubeletMetricsPath = (node: string): string => `/metrics/nodes/${node}/metrics`;

/**
 * kwok (v0.7) configuration documents that make kwok's server simulate, per node at
 * {@link kwokKubeletMetricsPath}, series a kubelet serves at /metrics and /metrics/cadvisor. One kwok `Metric`
 * object: CEL expressions over the node, each pod bound to it and each container, evaluated on every scrape. Both
 * sets share one path because kwok keeps one registry per node for all its paths, and each request first drops
 * the series of the other paths: of 200 pairs of concurrent requests to two paths of one node, 54 lacked series
 * of their own path and 4 had the other path's (measured against kwok v0.7.0 here).
 * The usage of every container comes from one `ClusterResourceUsage`: CPU 60 % of its request (5m without one),
 * memory 50 % of its request (8 MiB without one), and, for containers with a CPU limit, 10 CFS periods a second
 * of which 1 is throttled. No kubelet runs: this is kwok's simulation, with the names and labels of the
 * kubelet's and cAdvisor's series that watchkeeper's rules and dashboards use.
 */
export function kubeletMetricsConfig(): string {
  return [resourceUsage, kubeletMetric].map((doc) => stringify(doc)).join('---\n');
}

const apiVersion = 'kwok.x-k8s.io/v1alpha1';
const hasCpuLimit = '"cpu" in container.resources.limits';

const resourceUsage = {
  apiVersion,
  kind: 'ClusterResourceUsage',
  metadata: { name: 'watchkeeper-test-usage' },
  spec: {
    usages: [
      {
        usage: {
          cpu: {
            expression:
              '"cpu" in container.resources.requests ? container.resources.requests["cpu"] * 0.6 : Quantity("5m")',
          },
          memory: {
            expression:
              '"memory" in container.resources.requests ? container.resources.requests["memory"] * 0.5 ' +
              ': Quantity("8Mi")',
          },
          // Made-up resources, so that per-node sums and per-container counters come from kwok's usage engine.
          'watchkeeper-containers': { value: '1' },
          'watchkeeper-pods': { expression: '1.0 / double(size(pod.spec.containers))' },
          'watchkeeper-cfs-periods': { expression: `${hasCpuLimit} ? 10.0 : 0.0` },
          'watchkeeper-cfs-throttled-periods': { expression: `${hasCpuLimit} ? 1.0 : 0.0` },
        },
      },
    ],
  },
};

/** Labels of a per-container cAdvisor series. */
const containerLabels = [
  { name: 'namespace', value: 'pod.metadata.namespace' },
  { name: 'pod', value: 'pod.metadata.name' },
  { name: 'container', value: 'container.name' },
  { name: 'image', value: 'container.image' },
];

/** Pods carrying this annotation get kubelet_volume_stats_* series for the claim it names. */
export const volumeClaimAnnotation = 'watchkeeper.test/volume-claim';

/**
 * The claim named by the pod's annotation, or "" (the scraper drops those series). kwok's CEL environment cannot
 * read pod.spec.volumes ("unexpected failed resolution of 'v1.Volume'": the type is not registered), and it emits
 * a series for every pod of the node: there is no way to skip pods without a claim.
 */
const annotation = `pod.metadata.annotations["${volumeClaimAnnotation}"]`;
const claimName = `"${volumeClaimAnnotation}" in pod.metadata.annotations ? ${annotation} : ""`;
const volumeLabels = [
  { name: 'namespace', value: 'pod.metadata.namespace' },
  { name: 'persistentvolumeclaim', value: claimName },
];
const gib = 1024 ** 3;

/** One kubelet_volume_stats_* gauge per pod (the annotated claim), with a constant value. */
const volumeStat = (name: string, help: string, value: number) => ({
  name: `kubelet_volume_stats_${name}`,
  help,
  kind: 'gauge',
  dimension: 'pod',
  labels: volumeLabels,
  value: String(value),
});

/** The cAdvisor series (the kubelet's /metrics/cadvisor), one per container. */
const cadvisorMetrics = [
  {
    name: 'container_cpu_usage_seconds_total',
    help: 'Cumulative cpu time consumed in seconds.',
    kind: 'counter',
    dimension: 'container',
    labels: containerLabels,
    value: 'pod.CumulativeUsage("cpu", container.name)',
  },
  {
    name: 'container_memory_working_set_bytes',
    help: 'Current working set in bytes.',
    kind: 'gauge',
    dimension: 'container',
    labels: containerLabels,
    value: 'pod.Usage("memory", container.name)',
  },
  {
    name: 'container_spec_memory_limit_bytes',
    help: 'Memory limit for the container (0: none).',
    kind: 'gauge',
    dimension: 'container',
    labels: containerLabels,
    value: '"memory" in container.resources.limits ? container.resources.limits["memory"] : Quantity("0")',
  },
  {
    name: 'container_cpu_cfs_periods_total',
    help: 'Number of elapsed enforcement period intervals.',
    kind: 'counter',
    dimension: 'container',
    labels: containerLabels,
    value: 'pod.CumulativeUsage("watchkeeper-cfs-periods", container.name)',
  },
  {
    name: 'container_cpu_cfs_throttled_periods_total',
    help: 'Number of throttled period intervals.',
    kind: 'counter',
    dimension: 'container',
    labels: containerLabels,
    value: 'pod.CumulativeUsage("watchkeeper-cfs-throttled-periods", container.name)',
  },
  {
    name: 'container_oom_events_total',
    help: 'Count of out of memory events observed for the container (kwok simulates none).',
    kind: 'counter',
    dimension: 'container',
    labels: containerLabels,
    value: '0',
  },
];

const kubeletMetric = {
  apiVersion,
  kind: 'Metric',
  metadata: { name: 'kubelet' },
  spec: {
    path: kwokKubeletMetricsPath('{nodeName}'),
    metrics: [
      {
        name: 'kubelet_node_name',
        help: "The node's name. The count is always 1.",
        kind: 'gauge',
        dimension: 'node',
        labels: [{ name: 'node', value: 'node.metadata.name' }],
        value: '1',
      },
      {
        name: 'kubelet_running_pods',
        help: 'Number of pods bound to the node (kwok: every pod it lists for the node).',
        kind: 'gauge',
        dimension: 'node',
        value: 'node.Usage("watchkeeper-pods")',
      },
      {
        name: 'kubelet_running_containers',
        help: 'Number of containers of the pods bound to the node.',
        kind: 'gauge',
        dimension: 'node',
        labels: [{ name: 'container_state', value: '"running"' }],
        value: 'node.Usage("watchkeeper-containers")',
      },
      {
        // kwok's histogram takes the number of observations at each bucket bound: a relist about every second,
        // most under 10 ms, so rate() of the buckets is about 1/s and the p99 stays far below the 10 s alert.
        name: 'kubelet_pleg_relist_duration_seconds',
        help: 'Duration in seconds for relisting pods in PLEG.',
        kind: 'histogram',
        dimension: 'node',
        buckets: [
          { le: 0.005, value: 'node.SinceSecond() * 0.6' },
          { le: 0.01, value: 'node.SinceSecond() * 0.3' },
          { le: 0.025, value: 'node.SinceSecond() * 0.09' },
          { le: 0.05, value: 'node.SinceSecond() * 0.01' },
          ...[0.1, 0.25, 0.5, 1, 2.5, 5, 10].map((le) => ({ le, value: '0' })),
          // kwok adds the total to the +Inf bucket only when it passes a larger bound: this hidden one.
          { le: 3600, value: '0', hidden: true },
        ],
      },
      volumeStat('capacity_bytes', 'Capacity in bytes of the volume.', gib),
      volumeStat('used_bytes', 'Number of used bytes in the volume.', 0.25 * gib),
      volumeStat('available_bytes', 'Number of available bytes in the volume.', 0.75 * gib),
      volumeStat('inodes', 'Maximum number of inodes in the volume.', 65536),
      volumeStat('inodes_used', 'Number of used inodes in the volume.', 1200),
      volumeStat('inodes_free', 'Number of free inodes in the volume.', 65536 - 1200),
      ...cadvisorMetrics,
    ],
  },
};
