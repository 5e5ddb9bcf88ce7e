import {
  clusterLinks,
  clusterTags,
  clusterVariable,
  namespaceVariable,
  podVariable,
  series,
  stat,
} from './cluster-common.ts';
import { dashboard, type GrafanaDashboard } from './grafana.ts';

const ksm = 'job="kube-state-metrics", cluster=~"$cluster", namespace=~"$namespace"';
const pods = `${ksm}, pod=~"$pod"`;
const containers = 'container!="", cluster=~"$cluster", namespace=~"$namespace", pod=~"$pod"';

/** Usage (cAdvisor), requests and limits (cluster-state series) of one resource, per pod. */
function usageVsRequests(resource: 'cpu' | 'memory'): { expr: string; legend: string }[] {
  const usage =
    resource === 'cpu'
      ? `sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{${containers}}[5m]))`
      : `sum by (namespace, pod) (container_memory_working_set_bytes{${containers}})`;
  return [
    { expr: usage, legend: '{{namespace}}/{{pod}} used' },
    {
      expr: `sum by (namespace, pod) (kube_pod_container_resource_requests{${pods}, resource="${resource}"})`,
      legend: '{{namespace}}/{{pod}} requested',
    },
    {
      expr: `sum by (namespace, pod) (kube_pod_container_resource_limits{${pods}, resource="${resource}"})`,
      legend: '{{namespace}}/{{pod}} limit',
    },
  ];
}

/** Desired against available replicas of one kind of controller. */
function replicas(desired: string, available: string, name: string): { expr: string; legend: string }[] {
  return [
    { expr: `${desired}{${ksm}}`, legend: `{{namespace}}/{{${name}}} desired` },
    { expr: `${available}{${ksm}}`, legend: `{{namespace}}/{{${name}}} available` },
  ];
}

/** Workloads by namespace and by pod: pod phases and readiness, restarts, controllers' replicas, jobs, HPAs, usage. */
export function workloadsDashboard(): GrafanaDashboard {
  return dashboard({
    uid: 'cluster-workloads',
    title: 'Kubernetes / Workloads',
    description:
      'Workloads by namespace and pod from the cluster-state series (kube-state-metrics names): pod phases, ' +
      'readiness, restarts and waiting reasons; Deployments, StatefulSets and DaemonSets desired against ' +
      'available; Jobs; HPAs against their maximum; CPU and memory used (cAdvisor) against requests and limits.',
    tags: clusterTags,
    variables: [clusterVariable, namespaceVariable, podVariable],
    links: clusterLinks,
    panels: [
      stat(
        'Pods running',
        'Pods of the chosen namespaces and pods in phase Running.',
        'short',
        `sum(kube_pod_status_phase{${pods}, phase="Running"})`,
        [{ value: 1, color: 'green' }],
        'red',
      ),
      stat(
        'Pods not ready',
        'Pods whose Ready condition is false or unknown (KubePodNotReady after 15 minutes).',
        'short',
        `sum(kube_pod_status_ready{${pods}, condition!="true"})`,
        [{ value: 1, color: 'red' }],
      ),
      stat(
        'Container restarts (1 h)',
        'Container restarts in the last hour; a steady rise is a crash loop (KubePodCrashLooping).',
        'short',
        `sum(increase(kube_pod_container_status_restarts_total{${pods}}[1h]))`,
        [
          { value: 1, color: 'orange' },
          { value: 10, color: 'red' },
        ],
      ),
      stat(
        'Containers waiting',
        'Containers not started, for any reason (image pull back-off, crash loop back-off, config errors); ' +
          '0 when none waits.',
        'short',
        `count(kube_pod_container_status_waiting_reason{${pods}}) or vector(0)`,
        [{ value: 1, color: 'orange' }],
      ),
      series(
        'Pods by phase per namespace',
        'Pods in each phase, per namespace; Pending or Failed pods that stay are worth a look.',
        'short',
        [{ expr: `sum by (namespace, phase) (kube_pod_status_phase{${pods}}) > 0`, legend: '{{namespace}} {{phase}}' }],
        [{ value: 100, color: 'orange' }],
      ),
      series(
        'Not-ready pods per namespace',
        'Pods whose Ready condition is not true, per namespace (0 while all are ready).',
        'short',
        [
          {
            expr: `sum by (namespace) (kube_pod_status_ready{${pods}, condition!="true"})`,
            legend: '{{namespace}}',
          },
        ],
        [{ value: 1, color: 'red' }],
      ),
      series(
        'Container restarts per pod (15 min)',
        'Restarts of the containers of each pod over 15 minutes.',
        'short',
        [
          {
            expr: `sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{${pods}}[15m]))`,
            legend: '{{namespace}}/{{pod}}',
          },
        ],
        [{ value: 1, color: 'orange' }],
      ),
      series(
        'Containers waiting by reason',
        'Containers waiting to start, by reason (ImagePullBackOff, CrashLoopBackOff, ErrImagePull, ' +
          'CreateContainerConfigError...); empty while every container runs.',
        'short',
        [
          {
            expr: `count by (namespace, reason) (kube_pod_container_status_waiting_reason{${pods}})`,
            legend: '{{namespace}} {{reason}}',
          },
        ],
        [{ value: 1, color: 'orange' }],
      ),
      series(
        'Deployment replicas: desired vs available',
        'Replicas a Deployment asks for against those available (KubeDeploymentReplicasMismatch).',
        'short',
        replicas('kube_deployment_spec_replicas', 'kube_deployment_status_replicas_available', 'deployment'),
        [{ value: 100, color: 'orange' }],
      ),
      series(
        'StatefulSet replicas: desired vs ready',
        'Replicas a StatefulSet asks for against those ready (KubeStatefulSetReplicasMismatch).',
        'short',
        replicas('kube_statefulset_replicas', 'kube_statefulset_status_replicas_ready', 'statefulset'),
        [{ value: 100, color: 'orange' }],
      ),
      series(
        'DaemonSet pods: desired vs available',
        'Nodes that should run a DaemonSet pod against those where it is available ' +
          '(KubeDaemonSetRolloutStuck, KubeDaemonSetNotScheduled).',
        'short',
        replicas(
          'kube_daemonset_status_desired_number_scheduled',
          'kube_daemonset_status_number_available',
          'daemonset',
        ),
        [{ value: 100, color: 'orange' }],
      ),
      series(
        'Jobs: active, succeeded, failed',
        "Pods of each Job that run, succeeded and failed (KubeJobFailed when a Job's Failed condition is set).",
        'short',
        [
          { expr: `kube_job_status_succeeded{${ksm}}`, legend: '{{namespace}}/{{job_name}} succeeded' },
          { expr: `kube_job_status_active{${ksm}}`, legend: '{{namespace}}/{{job_name}} active' },
          { expr: `kube_job_status_failed{${ksm}}`, legend: '{{namespace}}/{{job_name}} failed' },
        ],
        [{ value: 1, color: 'red' }],
      ),
      series(
        'HPA replicas: current vs max',
        'Replicas of each HorizontalPodAutoscaler against its maximum; at the maximum it cannot scale further ' +
          '(KubeHpaMaxedOut).',
        'short',
        [
          {
            expr: `kube_horizontalpodautoscaler_status_current_replicas{${ksm}}`,
            legend: '{{namespace}}/{{horizontalpodautoscaler}} current',
          },
          {
            expr: `kube_horizontalpodautoscaler_spec_max_replicas{${ksm}}`,
            legend: '{{namespace}}/{{horizontalpodautoscaler}} max',
          },
        ],
        [{ value: 100, color: 'orange' }],
      ),
      series(
        'CPU used vs requests and limits per pod',
        'CPU cores used by the containers of each pod (cAdvisor, 5-minute rate) against their requests and ' +
          'limits; usage above the limit is throttled (CPUThrottlingHigh).',
        'short',
        usageVsRequests('cpu'),
        [{ value: 4, color: 'orange' }],
      ),
      series(
        'Memory used vs requests and limits per pod',
        'Working set of the containers of each pod (cAdvisor) against their requests and limits; at the limit ' +
          'the kernel OOM-kills (KubeContainerNearMemoryLimit, KubeContainerOOMKilled).',
        'bytes',
        usageVsRequests('memory'),
        [{ value: 8 * 1024 ** 3, color: 'orange' }],
        24,
      ),
    ],
  });
}
