import type { KubeNode, KubePod } from '../discovery/kube-objects.ts';
import type { ExpositionHandler } from '../types.ts';
import { NodeEmitter } from './emitter.ts';
import { parseQuantity } from './quantity.ts';

type NodeWithResources = KubeNode;
type PodWithRequests = KubePod;

/** kube-state-metrics' unit label of a resource. */
function unitOf(resource: string): string {
  if (resource === 'cpu') return 'core';
  if (resource === 'memory' || resource === 'ephemeral-storage' || resource.startsWith('hugepages-')) return 'byte';
  return 'integer';
}

function sanitize(resource: string): string {
  return resource.replace(/[^a-zA-Z0-9_]/g, '_');
}

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
  const out = new NodeEmitter(handler);
  const name = node.metadata.name ?? '';
  const emitMap = (metric: string, help: string, values: Iterable<[string, number]>) => {
    for (const [resource, value] of values) {
      out.emit(metric, 'gauge', help, { node: name, resource: sanitize(resource), unit: unitOf(resource) }, value);
    }
  };
  const parsed = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {}).flatMap(([r, q]) => {
      const v = parseQuantity(q);
      return v === undefined ? [] : [[r, v] as [string, number]];
    });
  emitMap(
    'kube_node_status_capacity',
    'The capacity for different resources of a node.',
    parsed(node.status?.capacity),
  );
  emitMap(
    'kube_node_status_allocatable',
    'The allocatable for different resources of a node that are available for scheduling.',
    parsed(node.status?.allocatable),
  );
  const total = new Map<string, number>();
  for (const pod of pods) {
    if (pod.spec?.nodeName !== name || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    for (const [r, v] of podRequests(pod)) total.set(r, (total.get(r) ?? 0) + v);
  }
  for (const r of ['cpu', 'memory']) if (!total.has(r)) total.set(r, 0);
  emitMap(
    'kube_node_pod_requests',
    'Sum of the resource requests of the pods bound to the node that are not finished.',
    total,
  );
  return out.count;
}
