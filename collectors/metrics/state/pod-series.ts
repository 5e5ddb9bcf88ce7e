import type { KubeContainer, KubePod } from '../discovery/kube-objects.ts';
import { parseResources, resourceLabel, unitOf } from './resource-labels.ts';
import type { StateEmitter } from './state-emitter.ts';

/** The phases kube_pod_status_phase has a series for. */
export const podPhases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

/** kube-state-metrics' value of owner labels when an object has no owner. */
export const noOwner = '<none>';

/**
 * The kube_pod_* series of one pod: info, owner, phase, readiness and, for each (non-init) container, info,
 * readiness, restarts, waiting and last-terminated reasons, requests and limits.
 */
export function emitPod(pod: KubePod, out: StateEmitter): void {
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const base = { namespace, pod: name };
  const node = pod.spec?.nodeName ?? '';
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  out.emit(
    'podInfo',
    {
      ...base,
      uid: pod.metadata.uid ?? '',
      node,
      host_ip: pod.status?.hostIP ?? '',
      pod_ip: pod.status?.podIP ?? '',
      created_by_kind: owner?.kind ?? noOwner,
      created_by_name: owner?.name ?? noOwner,
    },
    1,
  );
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.length === 0)
    out.emit('podOwner', { ...base, owner_kind: noOwner, owner_name: noOwner, owner_is_controller: noOwner }, 1);
  for (const o of owners)
    out.emit(
      'podOwner',
      { ...base, owner_kind: o.kind, owner_name: o.name, owner_is_controller: String(o.controller === true) },
      1,
    );
  out.emitPhase('podStatusPhase', base, podPhases, pod.status?.phase);
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready) {
    const status = ready.status.toLowerCase();
    for (const s of ['true', 'false', 'unknown'])
      out.emit('podStatusReady', { ...base, condition: s }, s === status ? 1 : 0);
  }
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  for (const container of pod.spec?.containers ?? []) {
    const labels = { ...base, container: container.name };
    out.emit('containerInfo', { ...labels, image: container.image ?? '' }, 1);
    const status = statuses.get(container.name);
    if (status) {
      out.emit('containerReady', labels, status.ready ? 1 : 0);
      out.emit('containerRestarts', labels, status.restartCount ?? 0);
      const waiting = status.state?.waiting?.reason;
      if (waiting) out.emit('containerWaitingReason', { ...labels, reason: waiting }, 1);
      const terminated = status.lastState?.terminated?.reason;
      if (terminated) out.emit('containerLastTerminatedReason', { ...labels, reason: terminated }, 1);
    }
    emitResources(container, { ...labels, node }, out);
  }
}

function emitResources(container: KubeContainer, labels: Record<string, string>, out: StateEmitter): void {
  for (const [family, list] of [
    ['containerRequests', container.resources?.requests],
    ['containerLimits', container.resources?.limits],
  ] as const) {
    const { values, invalid } = parseResources(list);
    for (const [resource, value] of values)
      out.emit(family, { ...labels, resource: resourceLabel(resource), unit: unitOf(resource) }, value);
    for (const bad of invalid)
      out.problem(`pod ${labels.namespace}/${labels.pod} container ${labels.container}: ${family} ${bad}`);
  }
}
