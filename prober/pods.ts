import type { KubeObject } from '../core/kube/types.ts';

/** The fields of a pod the prober reads. */
export interface Pod extends KubeObject {
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      name: string;
      ready?: boolean;
      state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } };
    }[];
  };
}

/** True when the pod's Ready condition is True and it is not being deleted. */
export function isPodReady(pod: Pod): boolean {
  return (
    pod.metadata.deletionTimestamp === undefined &&
    pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
  );
}

/** Why a pod is not Ready, in a few words: the scheduler's message, a container's waiting reason, or its phase. */
export function notReadyReason(pod: Pod): string {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (!pod.spec?.nodeName) {
    if (scheduled?.status === 'False')
      return `unschedulable: ${scheduled.message ?? scheduled.reason ?? 'no reason given'}`;
    return 'not scheduled: no scheduler has acted on it (is kube-scheduler running?)';
  }
  for (const c of pod.status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting;
    if (waiting?.reason)
      return `container ${c.name} waiting: ${waiting.reason}${waiting.message ? ` (${waiting.message.slice(0, 120)})` : ''}`;
    const terminated = c.state?.terminated;
    if (terminated)
      return `container ${c.name} terminated: ${terminated.reason ?? `exit code ${terminated.exitCode ?? '?'}`}`;
  }
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.message) return `on ${pod.spec.nodeName}, not Ready: ${ready.message}`;
  return `on ${pod.spec.nodeName}, ${pod.status?.phase ?? 'no status yet'} (kubelet has not reported it Ready)`;
}

/**
 * Summarises why pods are not Ready: pods grouped by phase and reason, most frequent first, e.g.
 * "3 Pending: unschedulable: 0/3 nodes are available: ...".
 */
export function summariseNotReady(pods: readonly Pod[]): string {
  const groups = new Map<string, number>();
  for (const pod of pods) {
    const key = `${pod.metadata.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending')}: ${notReadyReason(pod)}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `${n} ${key}`)
    .join('; ');
}

/** The p-quantile (0..1) of values, nearest-rank; undefined for none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
