import type { TargetLabels } from '../types.ts';
import type { KubeNode } from './kube-objects.ts';
import { joinHostPort, nodeAddress, nodeLabels } from './meta-labels.ts';

/** The kubelet's port when a node does not publish one (kwok nodes publish 0). */
export const defaultKubeletPort = 10250;

/**
 * Role node: one target per node at its kubelet (`<InternalIP>:<daemonEndpoints.kubeletEndpoint.Port>`,
 * directly, not through the API server proxy), with Prometheus' `__meta_kubernetes_node_*` labels and
 * `instance` = node name. `metricsPath` picks /metrics, /metrics/cadvisor or /metrics/resource.
 */
export function nodeTargets(
  nodes: Iterable<KubeNode>,
  options: { metricsPath: string; scheme: string; port?: number },
): TargetLabels[] {
  const targets: TargetLabels[] = [];
  for (const node of nodes) {
    const host = nodeAddress(node);
    if (!host) continue;
    const port = options.port ?? (node.status?.daemonEndpoints?.kubeletEndpoint?.Port || defaultKubeletPort);
    targets.push({
      ...nodeLabels(node),
      __address__: joinHostPort(host, port),
      __metrics_path__: options.metricsPath,
      __scheme__: options.scheme,
    });
  }
  return targets;
}
