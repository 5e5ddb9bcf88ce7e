import type { KubeDaemonSet, KubeDeployment, KubeStatefulSet } from '../discovery/kube-objects.ts';
import type { StateEmitter } from './state-emitter.ts';

/*
 * Status counts the API leaves out when they are zero (omitempty) are emitted as 0, as kube-state-metrics does:
 * a Deployment with no available pod has no availableReplicas field, and that is the case alerts must see.
 */

/** The kube_deployment_* series of one Deployment. */
export function emitDeployment(d: KubeDeployment, out: StateEmitter): void {
  const labels = { namespace: d.metadata.namespace ?? '', deployment: d.metadata.name ?? '' };
  const s = d.status;
  out.emit('deploymentSpecReplicas', labels, d.spec?.replicas ?? 1);
  out.emit('deploymentReplicas', labels, s?.replicas ?? 0);
  out.emit('deploymentAvailable', labels, s?.availableReplicas ?? 0);
  out.emit('deploymentUnavailable', labels, s?.unavailableReplicas ?? 0);
  out.emit('deploymentUpdated', labels, s?.updatedReplicas ?? 0);
  out.emit('deploymentObservedGeneration', labels, s?.observedGeneration ?? 0);
  out.emit('deploymentGeneration', labels, d.metadata.generation);
  for (const c of s?.conditions ?? [])
    out.emitStatus('deploymentCondition', { ...labels, condition: c.type }, c.status);
}

/** The kube_statefulset_* series of one StatefulSet. */
export function emitStatefulSet(set: KubeStatefulSet, out: StateEmitter): void {
  const labels = { namespace: set.metadata.namespace ?? '', statefulset: set.metadata.name ?? '' };
  const s = set.status;
  out.emit('statefulSetSpecReplicas', labels, set.spec?.replicas ?? 1);
  out.emit('statefulSetReplicas', labels, s?.replicas ?? 0);
  out.emit('statefulSetReady', labels, s?.readyReplicas ?? 0);
  out.emit('statefulSetCurrent', labels, s?.currentReplicas ?? 0);
  out.emit('statefulSetUpdated', labels, s?.updatedReplicas ?? 0);
  out.emit('statefulSetObservedGeneration', labels, s?.observedGeneration ?? 0);
  out.emit('statefulSetGeneration', labels, set.metadata.generation);
  if (s?.currentRevision) out.emit('statefulSetCurrentRevision', { ...labels, revision: s.currentRevision }, 1);
  if (s?.updateRevision) out.emit('statefulSetUpdateRevision', { ...labels, revision: s.updateRevision }, 1);
}

/** The kube_daemonset_* series of one DaemonSet. */
export function emitDaemonSet(d: KubeDaemonSet, out: StateEmitter): void {
  const labels = { namespace: d.metadata.namespace ?? '', daemonset: d.metadata.name ?? '' };
  const s = d.status;
  out.emit('daemonSetCurrent', labels, s?.currentNumberScheduled ?? 0);
  out.emit('daemonSetDesired', labels, s?.desiredNumberScheduled ?? 0);
  out.emit('daemonSetMisscheduled', labels, s?.numberMisscheduled ?? 0);
  out.emit('daemonSetReady', labels, s?.numberReady ?? 0);
  out.emit('daemonSetAvailable', labels, s?.numberAvailable ?? 0);
  out.emit('daemonSetUnavailable', labels, s?.numberUnavailable ?? 0);
  out.emit('daemonSetUpdated', labels, s?.updatedNumberScheduled ?? 0);
  out.emit('daemonSetObservedGeneration', labels, s?.observedGeneration ?? 0);
  out.emit('daemonSetGeneration', labels, d.metadata.generation);
}
