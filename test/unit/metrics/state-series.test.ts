import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../core/kube/index.ts';
import type { KubePod } from '../../../collectors/metrics/discovery/kube-objects.ts';
import * as trim from '../../../collectors/metrics/discovery/trim.ts';
import { emitHorizontalPodAutoscaler, emitJob } from '../../../collectors/metrics/state/job-series.ts';
import { emitNamespace, emitNode } from '../../../collectors/metrics/state/node-series.ts';
import { emitPod } from '../../../collectors/metrics/state/pod-series.ts';
import { stateSeriesNames } from '../../../collectors/metrics/state/series.ts';
import { StateEmitter } from '../../../collectors/metrics/state/state-emitter.ts';
import { emitPersistentVolume, emitPersistentVolumeClaim } from '../../../collectors/metrics/state/storage-series.ts';
import { emitDaemonSet, emitDeployment, emitStatefulSet } from '../../../collectors/metrics/state/workload-series.ts';
import { TextExposition } from '../../../collectors/metrics/node/text-exposition.ts';
import { parseExposition } from '../../../collectors/metrics/scrape/parse/index.ts';
import type { ExpositionHandler, FamilyMeta, Sample } from '../../../collectors/metrics/types.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/state');
const fixture = <T>(file: string): T => JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as T;

/** Samples as `name{label="value",...}` (labels in emission order) to value, plus the emitter's problems. */
function collect<T>(
  emit: (object: T, out: StateEmitter) => void,
  trimmer: (object: T) => T,
  object: T,
): { series: Record<string, number>; problems: string[]; types: Record<string, string> } {
  const series: Record<string, number> = {};
  const types: Record<string, string> = {};
  const handler: ExpositionHandler = {
    sample(sample: Sample, family: FamilyMeta) {
      const labels = Object.entries(sample.labels).map(([k, v]) => `${k}="${v}"`);
      series[`${sample.name}{${labels.join(',')}}`] = sample.value;
      types[family.name] = family.type;
    },
  };
  const out = new StateEmitter(handler);
  // Through the watch's trim first: what the collector holds is the trimmed object.
  emit(trimmer(object), out);
  return { series, problems: out.problems, types };
}

describe('cluster-state series from real object shapes', () => {
  it('a crash-looping pod: info, owner, phase, readiness, container states, requests and limits', () => {
    const { series, types } = collect(emitPod, trim.trimPod, fixture('pod-crashlooping.json'));
    const pod = 'namespace="shop",pod="web-7c9d8b6f5-x2k4q"';
    expect(series).toEqual({
      [`kube_pod_info{${pod},uid="0f8b6c1e-6a0e-4f57-9d36-1f0c2b9d5a11",node="worker-1",host_ip="10.0.0.11",` +
      `pod_ip="10.244.1.17",created_by_kind="ReplicaSet",created_by_name="web-7c9d8b6f5"}`]: 1,
      [`kube_pod_owner{${pod},owner_kind="ReplicaSet",owner_name="web-7c9d8b6f5",owner_is_controller="true"}`]: 1,
      [`kube_pod_status_phase{${pod},phase="Pending"}`]: 0,
      [`kube_pod_status_phase{${pod},phase="Running"}`]: 1,
      [`kube_pod_status_phase{${pod},phase="Succeeded"}`]: 0,
      [`kube_pod_status_phase{${pod},phase="Failed"}`]: 0,
      [`kube_pod_status_phase{${pod},phase="Unknown"}`]: 0,
      [`kube_pod_status_ready{${pod},condition="true"}`]: 0,
      [`kube_pod_status_ready{${pod},condition="false"}`]: 1,
      [`kube_pod_status_ready{${pod},condition="unknown"}`]: 0,
      [`kube_pod_container_info{${pod},container="app",image="registry.example.com/shop/web:1.4.2"}`]: 1,
      [`kube_pod_container_status_ready{${pod},container="app"}`]: 0,
      [`kube_pod_container_status_restarts_total{${pod},container="app"}`]: 7,
      [`kube_pod_container_status_waiting_reason{${pod},container="app",reason="CrashLoopBackOff"}`]: 1,
      [`kube_pod_container_status_last_terminated_reason{${pod},container="app",reason="OOMKilled"}`]: 1,
      [`kube_pod_container_resource_requests{${pod},container="app",node="worker-1",resource="cpu",unit="core"}`]: 0.25,
      [`kube_pod_container_resource_requests{${pod},container="app",node="worker-1",resource="memory",unit="byte"}`]:
        256 * 2 ** 20,
      [`kube_pod_container_resource_limits{${pod},container="app",node="worker-1",resource="cpu",unit="core"}`]: 1,
      [`kube_pod_container_resource_limits{${pod},container="app",node="worker-1",resource="memory",unit="byte"}`]:
        512 * 2 ** 20,
      [`kube_pod_container_info{${pod},container="sidecar",image="registry.example.com/proxy:2.0"}`]: 1,
      [`kube_pod_container_status_ready{${pod},container="sidecar"}`]: 1,
      [`kube_pod_container_status_restarts_total{${pod},container="sidecar"}`]: 0,
    });
    expect(types.kube_pod_container_status_restarts_total).toBe('counter');
    expect(types.kube_pod_info).toBe('gauge');
  });

  it('an unscheduled pod without owner: "<none>" owner, empty node, a bad quantity skipped and reported', () => {
    const { series, problems } = collect(emitPod, trim.trimPod, fixture('pod-pending.json'));
    const pod = 'namespace="default",pod="lonely"';
    expect(series[`kube_pod_owner{${pod},owner_kind="<none>",owner_name="<none>",owner_is_controller="<none>"}`]).toBe(
      1,
    );
    expect(series[`kube_pod_status_phase{${pod},phase="Pending"}`]).toBe(1);
    expect(Object.keys(series).filter((k) => k.startsWith('kube_pod_status_ready'))).toEqual([]);
    expect(
      series[
        `kube_pod_container_resource_requests{${pod},container="main",node="",resource="nvidia_com_gpu",unit="integer"}`
      ],
    ).toBe(1);
    expect(Object.keys(series).some((k) => k.includes('resource="cpu"'))).toBe(false);
    expect(problems).toEqual(['pod default/lonely container main: containerRequests cpu=lots']);
  });

  it('a Deployment mid-rollout whose progress deadline passed', () => {
    const { series } = collect(emitDeployment, trim.trimDeployment, fixture('deployment.json'));
    const d = 'namespace="shop",deployment="web"';
    expect(series).toEqual({
      [`kube_deployment_spec_replicas{${d}}`]: 3,
      [`kube_deployment_status_replicas{${d}}`]: 3,
      [`kube_deployment_status_replicas_available{${d}}`]: 2,
      [`kube_deployment_status_replicas_unavailable{${d}}`]: 1,
      [`kube_deployment_status_replicas_updated{${d}}`]: 1,
      [`kube_deployment_status_observed_generation{${d}}`]: 3,
      [`kube_deployment_metadata_generation{${d}}`]: 4,
      [`kube_deployment_status_condition{${d},condition="Available",status="true"}`]: 1,
      [`kube_deployment_status_condition{${d},condition="Available",status="false"}`]: 0,
      [`kube_deployment_status_condition{${d},condition="Available",status="unknown"}`]: 0,
      [`kube_deployment_status_condition{${d},condition="Progressing",status="true"}`]: 0,
      [`kube_deployment_status_condition{${d},condition="Progressing",status="false"}`]: 1,
      [`kube_deployment_status_condition{${d},condition="Progressing",status="unknown"}`]: 0,
    });
  });

  it('a StatefulSet rolling out: counts and both revisions', () => {
    const { series } = collect(emitStatefulSet, trim.trimStatefulSet, fixture('statefulset.json'));
    const s = 'namespace="shop",statefulset="db"';
    expect(series).toEqual({
      [`kube_statefulset_replicas{${s}}`]: 3,
      [`kube_statefulset_status_replicas{${s}}`]: 3,
      [`kube_statefulset_status_replicas_ready{${s}}`]: 2,
      [`kube_statefulset_status_replicas_current{${s}}`]: 2,
      [`kube_statefulset_status_replicas_updated{${s}}`]: 1,
      [`kube_statefulset_status_observed_generation{${s}}`]: 2,
      [`kube_statefulset_metadata_generation{${s}}`]: 2,
      [`kube_statefulset_status_current_revision{${s},revision="db-5d8f7c9b6"}`]: 1,
      [`kube_statefulset_status_update_revision{${s},revision="db-6b7d9f8c4"}`]: 1,
    });
  });

  it('a DaemonSet with a mis-scheduled and an unscheduled node', () => {
    const { series } = collect(emitDaemonSet, trim.trimDaemonSet, fixture('daemonset.json'));
    const d = 'namespace="watchkeeper",daemonset="agent"';
    expect(series).toEqual({
      [`kube_daemonset_status_current_number_scheduled{${d}}`]: 3,
      [`kube_daemonset_status_desired_number_scheduled{${d}}`]: 4,
      [`kube_daemonset_status_number_misscheduled{${d}}`]: 1,
      [`kube_daemonset_status_number_ready{${d}}`]: 2,
      [`kube_daemonset_status_number_available{${d}}`]: 2,
      [`kube_daemonset_status_number_unavailable{${d}}`]: 2,
      [`kube_daemonset_status_updated_number_scheduled{${d}}`]: 3,
      [`kube_daemonset_status_observed_generation{${d}}`]: 1,
      [`kube_daemonset_metadata_generation{${d}}`]: 1,
    });
  });

  it('a failed Job of a CronJob and a completed one', () => {
    const failed = collect(emitJob, trim.trimJob, fixture('job-failed.json')).series;
    const j = 'namespace="shop",job_name="report-29012345"';
    expect(failed).toEqual({
      [`kube_job_spec_completions{${j}}`]: 1,
      [`kube_job_status_active{${j}}`]: 0,
      [`kube_job_status_succeeded{${j}}`]: 0,
      [`kube_job_status_failed{${j}}`]: 3,
      [`kube_job_status_start_time{${j}}`]: Date.parse('2026-11-29T10:00:00Z') / 1000,
      [`kube_job_failed{${j},condition="true"}`]: 1,
      [`kube_job_failed{${j},condition="false"}`]: 0,
      [`kube_job_failed{${j},condition="unknown"}`]: 0,
      [`kube_job_owner{${j},owner_kind="CronJob",owner_name="report",owner_is_controller="true"}`]: 1,
    });
    const complete = collect(emitJob, trim.trimJob, fixture('job-complete.json')).series;
    const m = 'namespace="shop",job_name="migrate"';
    expect(complete[`kube_job_status_succeeded{${m}}`]).toBe(1);
    expect(complete[`kube_job_status_completion_time{${m}}`]).toBe(Date.parse('2026-11-29T10:00:42Z') / 1000);
    expect(Object.keys(complete).some((k) => k.startsWith('kube_job_failed'))).toBe(false);
  });

  it('an HPA at its maximum (minReplicas left to its default of 1)', () => {
    const { series } = collect(emitHorizontalPodAutoscaler, trim.trimHorizontalPodAutoscaler, fixture('hpa.json'));
    const h = 'namespace="shop",horizontalpodautoscaler="web"';
    expect(series).toEqual({
      [`kube_horizontalpodautoscaler_spec_min_replicas{${h}}`]: 1,
      [`kube_horizontalpodautoscaler_spec_max_replicas{${h}}`]: 10,
      [`kube_horizontalpodautoscaler_status_current_replicas{${h}}`]: 10,
      [`kube_horizontalpodautoscaler_status_desired_replicas{${h}}`]: 10,
    });
  });

  it('a cordoned, unreachable node with disk pressure: info, conditions, taints, capacity and allocatable', () => {
    const { series } = collect(emitNode, trim.trimNode, fixture('node.json'));
    const n = 'node="worker-1"';
    expect(
      series[
        `kube_node_info{${n},kernel_version="6.1.0-28-amd64",os_image="Debian GNU/Linux 12 (bookworm)",` +
          `container_runtime_version="containerd://1.7.24",kubelet_version="v1.31.4",internal_ip="10.0.0.11"}`
      ],
    ).toBe(1);
    const conditions = Object.entries(series).filter(([k, v]) => k.startsWith('kube_node_status_condition') && v === 1);
    expect(conditions.map(([k]) => k)).toEqual([
      `kube_node_status_condition{${n},condition="MemoryPressure",status="false"}`,
      `kube_node_status_condition{${n},condition="DiskPressure",status="true"}`,
      `kube_node_status_condition{${n},condition="PIDPressure",status="false"}`,
      `kube_node_status_condition{${n},condition="Ready",status="unknown"}`,
    ]);
    expect(series[`kube_node_spec_unschedulable{${n}}`]).toBe(1);
    expect(
      series[`kube_node_spec_taint{${n},key="node.kubernetes.io/unschedulable",value="",effect="NoSchedule"}`],
    ).toBe(1);
    expect(series[`kube_node_spec_taint{${n},key="dedicated",value="gpu",effect="NoExecute"}`]).toBe(1);
    expect(series[`kube_node_status_capacity{${n},resource="memory",unit="byte"}`]).toBe(16393124 * 1024);
    expect(series[`kube_node_status_allocatable{${n},resource="cpu",unit="core"}`]).toBe(3.8);
    expect(series[`kube_node_status_allocatable{${n},resource="ephemeral_storage",unit="byte"}`]).toBe(93478772582);
    expect(series[`kube_node_status_capacity{${n},resource="hugepages_2Mi",unit="byte"}`]).toBe(0);
    expect(series[`kube_node_status_allocatable{${n},resource="pods",unit="integer"}`]).toBe(110);
  });

  it('a bound claim, a failed volume and a terminating namespace', () => {
    const { claim, volume, namespace } = fixture<Record<string, KubeObject>>('storage.json');
    const c = collect(emitPersistentVolumeClaim, trim.trimPersistentVolumeClaim, claim!).series;
    const pvc = 'namespace="shop",persistentvolumeclaim="data-db-0"';
    expect(c).toEqual({
      [`kube_persistentvolumeclaim_info{${pvc},storageclass="standard",volumename="pv-db-0"}`]: 1,
      [`kube_persistentvolumeclaim_status_phase{${pvc},phase="Pending"}`]: 0,
      [`kube_persistentvolumeclaim_status_phase{${pvc},phase="Bound"}`]: 1,
      [`kube_persistentvolumeclaim_status_phase{${pvc},phase="Lost"}`]: 0,
      [`kube_persistentvolumeclaim_resource_requests_storage_bytes{${pvc}}`]: 10 * 2 ** 30,
    });
    const v = collect(emitPersistentVolume, trim.trimPersistentVolume, volume!).series;
    expect(v['kube_persistentvolume_status_phase{persistentvolume="pv-db-0",phase="Failed"}']).toBe(1);
    expect(v['kube_persistentvolume_status_phase{persistentvolume="pv-db-0",phase="Bound"}']).toBe(0);
    expect(v['kube_persistentvolume_capacity_bytes{persistentvolume="pv-db-0"}']).toBe(10 * 2 ** 30);
    expect(
      v['kube_persistentvolume_claim_ref{persistentvolume="pv-db-0",name="data-db-0",claim_namespace="shop"}'],
    ).toBe(1);
    const ns = collect(emitNamespace, trim.trimNamespace, namespace!).series;
    expect(ns).toEqual({
      'kube_namespace_status_phase{namespace="old",phase="Active"}': 0,
      'kube_namespace_status_phase{namespace="old",phase="Terminating"}': 1,
    });
  });

  it('objects missing every optional field: no crash, zero counts where the API omits zeros, nothing invented', () => {
    const bare = { metadata: { name: 'x', namespace: 'ns' } };
    const emitters = [
      [emitPod, trim.trimPod],
      [emitDeployment, trim.trimDeployment],
      [emitStatefulSet, trim.trimStatefulSet],
      [emitDaemonSet, trim.trimDaemonSet],
      [emitJob, trim.trimJob],
      [emitHorizontalPodAutoscaler, trim.trimHorizontalPodAutoscaler],
      [emitNode, trim.trimNode],
      [emitNamespace, trim.trimNamespace],
      [emitPersistentVolumeClaim, trim.trimPersistentVolumeClaim],
      [emitPersistentVolume, trim.trimPersistentVolume],
    ] as [(o: KubeObject, out: StateEmitter) => void, (o: KubeObject) => KubeObject][];
    const all: Record<string, number> = {};
    for (const [emit, trimmer] of emitters) Object.assign(all, collect(emit, trimmer, bare).series);
    expect(all['kube_deployment_status_replicas_available{namespace="ns",deployment="x"}']).toBe(0);
    expect(all['kube_deployment_spec_replicas{namespace="ns",deployment="x"}']).toBe(1);
    expect(Object.keys(all).some((k) => k.startsWith('kube_deployment_metadata_generation'))).toBe(false);
    expect(Object.keys(all).some((k) => k.startsWith('kube_pod_status_phase'))).toBe(false);
    expect(Object.keys(all).some((k) => k.startsWith('kube_horizontalpodautoscaler_spec_max_replicas'))).toBe(false);
    expect(Object.keys(all).some((k) => k.startsWith('kube_job_status_start_time'))).toBe(false);
    expect(Object.values(all).every((v) => Number.isFinite(v))).toBe(true);
  });

  it('the text exposition of every family carries its name from the series module, HELP and TYPE', () => {
    const text = new TextExposition();
    const out = new StateEmitter(text);
    emitPod(trim.trimPod(fixture('pod-crashlooping.json')), out);
    emitNode(trim.trimNode(fixture('node.json')), out);
    const exposed = text.text();
    expect(exposed).toContain('# TYPE kube_pod_container_status_restarts_total counter\n');
    expect(exposed).toContain('# HELP kube_node_status_condition The condition of a cluster node.\n');
    for (const family of exposed.matchAll(/^# TYPE (\S+)/gm)) expect(stateSeriesNames).toContain(family[1]);
  });

  it('status text a kubelet writes (quotes, backslashes, newlines) survives exposition and scrape parser', async () => {
    const pod = fixture<KubePod>('pod-crashlooping.json');
    const reason = 'Err "pull"\\ \nfailed';
    pod.status!.containerStatuses![0]!.state = { waiting: { reason } };
    const text = new TextExposition();
    emitPod(trim.trimPod(pod), new StateEmitter(text));
    const parsed: Sample[] = [];
    await parseExposition(Readable.from([Buffer.from(text.text())]), 'text', {
      sample: (sample) => parsed.push(sample),
    });
    const waiting = parsed.filter((s) => s.name === 'kube_pod_container_status_waiting_reason');
    expect(waiting.map((s) => s.labels.reason)).toEqual([reason]);
  });
});
