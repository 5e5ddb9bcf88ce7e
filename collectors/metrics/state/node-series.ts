import type { KubeNamespace, KubeNode } from '../discovery/kube-objects.ts';
import { parseResources, resourceLabel, unitOf } from './resource-labels.ts';
import type { StateEmitter } from './state-emitter.ts';

/** The kube_node_* series of one Node: info, conditions, schedulability, taints, capacity and allocatable. */
export function emitNode(node: KubeNode, out: StateEmitter): void {
  const name = node.metadata.name ?? '';
  const info = node.status?.nodeInfo;
  out.emit(
    'nodeInfo',
    {
      node: name,
      kernel_version: info?.kernelVersion ?? '',
      os_image: info?.osImage ?? '',
      container_runtime_version: info?.containerRuntimeVersion ?? '',
      kubelet_version: info?.kubeletVersion ?? '',
      internal_ip: node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
    },
    1,
  );
  for (const c of node.status?.conditions ?? [])
    out.emitStatus('nodeCondition', { node: name, condition: c.type }, c.status);
  out.emit('nodeUnschedulable', { node: name }, node.spec?.unschedulable ? 1 : 0);
  for (const t of node.spec?.taints ?? [])
    out.emit('nodeTaint', { node: name, key: t.key, value: t.value ?? '', effect: t.effect }, 1);
  emitNodeResourceList('nodeCapacity', name, node.status?.capacity, out);
  emitNodeResourceList('nodeAllocatable', name, node.status?.allocatable, out);
}

/**
 * kube_node_status_capacity or kube_node_status_allocatable {node,resource,unit} of one node: the one encoding
 * both the cluster-state collector and the node agent's node resources use.
 */
export function emitNodeResourceList(
  family: 'nodeCapacity' | 'nodeAllocatable',
  node: string,
  list: Record<string, string> | undefined,
  out: StateEmitter,
): void {
  const { values, invalid } = parseResources(list);
  for (const [resource, value] of values)
    out.emit(family, { node, resource: resourceLabel(resource), unit: unitOf(resource) }, value);
  for (const bad of invalid) out.problem(`node ${node}: ${family} ${bad}`);
}

/** kube_namespace_status_phase of one namespace. */
export function emitNamespace(ns: KubeNamespace, out: StateEmitter): void {
  out.emitPhase('namespacePhase', { namespace: ns.metadata.name ?? '' }, ['Active', 'Terminating'], ns.status?.phase);
}
