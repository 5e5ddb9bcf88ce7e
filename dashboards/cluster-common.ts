import type { LinkSpec, PanelSpec, VariableSpec } from './grafana.ts';

/**
 * What the cluster dashboards share: their variables, the links between them and small panel builders.
 * Job names are those of alerts/cluster.rules.yaml and docs/cluster-monitoring.md.
 */

/** The `cluster` variable; a series without a cluster label matches its "All" value (`.*`). */
export const clusterVariable: VariableSpec = { name: 'cluster', label: 'Cluster', query: 'label_values(up, cluster)' };

/** The `node` variable: node_exporter (or built-in node collector) instances. */
export const nodeVariable: VariableSpec = {
  name: 'node',
  label: 'Node',
  query: 'label_values(node_uname_info{job="node", cluster=~"$cluster"}, instance)',
};

/**
 * The `nodename` variable: Kubernetes node names (kube-state-metrics `node` label). Named apart from the nodes
 * dashboard's `node` (node_exporter instances) because links carry variables over and the values differ.
 */
export const kubeNodeVariable: VariableSpec = {
  name: 'nodename',
  label: 'Node',
  query: 'label_values(kube_node_info{job="kube-state-metrics", cluster=~"$cluster"}, node)',
};

/** The `namespace` variable: namespaces kube-state-metrics reports. */
export const namespaceVariable: VariableSpec = {
  name: 'namespace',
  label: 'Namespace',
  query: 'label_values(kube_namespace_status_phase{job="kube-state-metrics", cluster=~"$cluster"}, namespace)',
};

/** The `pod` variable: pods of the chosen namespaces. */
export const podVariable: VariableSpec = {
  name: 'pod',
  label: 'Pod',
  query: 'label_values(kube_pod_info{job="kube-state-metrics", cluster=~"$cluster", namespace=~"$namespace"}, pod)',
};

/** Links from every cluster dashboard to the others and to the collectors' own dashboard. */
export const clusterLinks: LinkSpec[] = [
  { title: 'Cluster overview', uid: 'cluster-overview' },
  { title: 'Workloads', uid: 'cluster-workloads' },
  { title: 'Persistent volumes', uid: 'cluster-persistent-volumes' },
  { title: 'Control plane', uid: 'cluster-control-plane' },
  { title: 'etcd', uid: 'cluster-etcd' },
  { title: 'Nodes', uid: 'cluster-nodes' },
  { title: 'Metrics collectors', uid: 'watchkeeper-metrics' },
];

/** Tags of the cluster dashboards. */
export const clusterTags = ['watchkeeper', 'kubernetes'];

/** A time series panel. */
export function series(
  title: string,
  description: string,
  unit: string,
  targets: PanelSpec['targets'],
  thresholds: PanelSpec['thresholds'],
  width = 12,
): PanelSpec {
  return { title, description, type: 'timeseries', unit, targets, thresholds, width };
}

/** A quarter-width stat panel; `baseColor` is the colour below the first threshold. */
export function stat(
  title: string,
  description: string,
  unit: string,
  expr: string,
  thresholds: PanelSpec['thresholds'],
  baseColor = 'green',
): PanelSpec {
  return { title, description, type: 'stat', unit, width: 6, targets: [{ expr }], thresholds, baseColor };
}

/** `histogram_quantile(quantile, sum by (<by>, le) (rate(<bucket>{<selector>}[<window>])))`. */
export function quantile(q: number, by: string, bucket: string, selector: string, window = '5m'): string {
  return `histogram_quantile(${q}, sum by (${by}le) (rate(${bucket}{${selector}}[${window}])))`;
}
