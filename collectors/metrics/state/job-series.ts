import type { KubeHorizontalPodAutoscaler, KubeJob } from '../discovery/kube-objects.ts';
import { noOwner } from './pod-series.ts';
import type { StateEmitter } from './state-emitter.ts';

/** Seconds since the epoch of an RFC 3339 time, undefined when absent or not a time. */
function epochSeconds(time: string | undefined): number | undefined {
  if (!time) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** The kube_job_* series of one Job (label job_name, as kube-state-metrics names it: `job` is the scrape job). */
export function emitJob(job: KubeJob, out: StateEmitter): void {
  const labels = { namespace: job.metadata.namespace ?? '', job_name: job.metadata.name ?? '' };
  const s = job.status;
  out.emit('jobCompletions', labels, job.spec?.completions);
  out.emit('jobActive', labels, s?.active ?? 0);
  out.emit('jobSucceeded', labels, s?.succeeded ?? 0);
  out.emit('jobFailed', labels, s?.failed ?? 0);
  out.emit('jobStartTime', labels, epochSeconds(s?.startTime));
  out.emit('jobCompletionTime', labels, epochSeconds(s?.completionTime));
  const failed = s?.conditions?.find((c) => c.type === 'Failed');
  if (failed) {
    const status = failed.status.toLowerCase();
    for (const c of ['true', 'false', 'unknown'])
      out.emit('jobFailedCondition', { ...labels, condition: c }, c === status ? 1 : 0);
  }
  const owners = job.metadata.ownerReferences ?? [];
  if (owners.length === 0)
    out.emit('jobOwner', { ...labels, owner_kind: noOwner, owner_name: noOwner, owner_is_controller: noOwner }, 1);
  for (const o of owners)
    out.emit(
      'jobOwner',
      { ...labels, owner_kind: o.kind, owner_name: o.name, owner_is_controller: String(o.controller === true) },
      1,
    );
}

/** The kube_horizontalpodautoscaler_* series of one HorizontalPodAutoscaler. */
export function emitHorizontalPodAutoscaler(h: KubeHorizontalPodAutoscaler, out: StateEmitter): void {
  const labels = { namespace: h.metadata.namespace ?? '', horizontalpodautoscaler: h.metadata.name ?? '' };
  out.emit('hpaMinReplicas', labels, h.spec?.minReplicas ?? 1);
  out.emit('hpaMaxReplicas', labels, h.spec?.maxReplicas);
  out.emit('hpaCurrentReplicas', labels, h.status?.currentReplicas ?? 0);
  out.emit('hpaDesiredReplicas', labels, h.status?.desiredReplicas ?? 0);
}
