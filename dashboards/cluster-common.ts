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

/** Links from every cluster dashboard to the others and to the collectors' own dashboard. */
export const clusterLinks: LinkSpec[] = [
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
