import type { KubeNode, KubePod } from '../discovery/kube-objects.ts';
import type { ExpositionHandler } from '../types.ts';
import { emitNodeResourceList } from '../state/node-series.ts';
import { resourceLabel, unitOf } from '../state/resource-labels.ts';
import { StateEmitter } from '../state/state-emitter.ts';
import { parseQuantity } from './quantity.ts';

type NodeWithResources = KubeNode;
type PodWithRequests = KubePod;

/**
 * The requests a pod holds on its node as the scheduler counts them: the larger of the sum of its containers'
 * requests and its largest init container's, plus the pod overhead (restartable sidecar init containers are
 * counted as init containers here).
 */
export function podRequests(pod: PodWithRequests): Map<string, number> {
  const sum = new Map<string, number>();
  for (const c of pod.spec?.containers ?? []) {
    for (const [r, q] of Object.entries(c.resources?.requests ?? {}))
      sum.set(r, (sum.get(r) ?? 0) + (parseQuantity(q) ?? 0));
  }
  for (const c of pod.spec?.initContainers ?? []) {
    for (const [r, q] of Object.entries(c.resources?.requests ?? {}))
      sum.set(r, Math.max(sum.get(r) ?? 0, parseQuantity(q) ?? 0));
  }
  for (const [r, q] of Object.entries(pod.spec?.overhead ?? {}))
    sum.set(r, (sum.get(r) ?? 0) + (parseQuantity(q) ?? 0));
  return sum;
}

/**
 * Node capacity, allocatable and the sum of the requests of its pods that hold resources (not Succeeded or
 * Failed), with kube-state-metrics' names and labels for the first two (kube_node_status_capacity,
 * kube_node_status_allocatable {node,resource,unit}) and kube_node_pod_requests for the sum (watchkeeper's:
 * kube-state-metrics has only per-container requests). Requests above allocatable is how a node is overcommitted.
 */
export function emitNodeResources(
  node: NodeWithResources,
  pods: Iterable<PodWithRequests>,
  handler: ExpositionHandler,
): number {
  const out = new StateEmitter(handler);
  const name = node.metadata.name ?? '';
  emitNodeResourceList('nodeCapacity', name, node.status?.capacity, out);
  emitNodeResourceList('nodeAllocatable', name, node.status?.allocatable, out);
  const total = new Map<string, number>();
  for (const pod of pods) {
    if (pod.spec?.nodeName !== name || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    for (const [r, v] of podRequests(pod)) total.set(r, (total.get(r) ?? 0) + v);
  }
  for (const r of ['cpu', 'memory']) if (!total.has(r)) total.set(r, 0);
  for (const [resource, value] of total)
    out.emit('nodePodRequests', { node: name, resource: resourceLabel(resource), unit: unitOf(resource) }, value);
  return out.count;
}
