import type { TargetLabels } from '../types.ts';
import type { KubeEndpointSlice, KubePod } from './kube-objects.ts';
import { endpointLabels, joinHostPort, podLabels } from './meta-labels.ts';
import { serviceNameLabel } from './service-targets.ts';

/** The control-plane components discovery finds, with the secure port each serves /metrics on. */
export const controlPlaneComponents = {
  etcd: { port: 2379 },
  'kube-scheduler': { port: 10259 },
  'kube-controller-manager': { port: 10257 },
} as const;

/** A control-plane component found from its static pod. */
export type StaticPodComponent = keyof typeof controlPlaneComponents;

/**
 * The API servers: the endpoints of the `kubernetes` service's EndpointSlices in `default` (each API server
 * publishes itself there), https, with the endpointslice labels and `__meta_kubernetes_service_name`.
 */
export function apiServerTargets(slices: Iterable<KubeEndpointSlice>): TargetLabels[] {
  const targets: TargetLabels[] = [];
  for (const slice of slices) {
    if (slice.metadata.namespace !== 'default' || slice.metadata.labels?.[serviceNameLabel] !== 'kubernetes') continue;
    const port = slice.ports?.find((p) => p.name === 'https') ?? slice.ports?.[0];
    if (!port?.port) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses) {
        targets.push({
          ...endpointLabels(slice, endpoint, port),
          __meta_kubernetes_service_name: 'kubernetes',
          __address__: joinHostPort(address, port.port),
          __scheme__: 'https',
          __metrics_path__: '/metrics',
        });
      }
    }
  }
  return targets;
}

/**
 * A component run as a static pod in kube-system with kubeadm's label `component=<name>`: one target per
 * running pod at its IP (host network: the node's IP) and the component's secure port, https.
 */
export function staticPodTargets(
  pods: Iterable<KubePod>,
  component: StaticPodComponent,
  port?: number,
): TargetLabels[] {
  const targets: TargetLabels[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== 'kube-system' || pod.metadata.labels?.component !== component) continue;
    const ip = pod.status?.podIP ?? pod.status?.hostIP;
    if (!ip || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    targets.push({
      ...podLabels(pod),
      __address__: joinHostPort(ip, port ?? controlPlaneComponents[component].port),
      __scheme__: 'https',
      __metrics_path__: '/metrics',
    });
  }
  return targets;
}
