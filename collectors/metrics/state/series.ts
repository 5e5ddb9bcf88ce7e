/**
 * Every series of the cluster-state collector (job="kube-state-metrics") and the node agent's node resources
 * (job="node"), with kube-state-metrics v2's names and help texts. The emitters, the alert and dashboard name
 * checks (alerts/metric-names.ts) and the docs table use this one module, so a rename breaks the build.
 */
export const stateSeries = {
  podInfo: ['kube_pod_info', 'Information about pod.'],
  podOwner: ['kube_pod_owner', "Information about the Pod's owner."],
  podStatusPhase: ['kube_pod_status_phase', 'The pods current phase.'],
  podStatusReady: ['kube_pod_status_ready', 'Describes whether the pod is ready to serve requests.'],
  containerInfo: ['kube_pod_container_info', 'Information about a container in a pod.'],
  containerReady: ['kube_pod_container_status_ready', 'Describes whether the containers readiness check succeeded.'],
  containerRestarts: ['kube_pod_container_status_restarts_total', 'The number of container restarts per container.'],
  containerWaitingReason: [
    'kube_pod_container_status_waiting_reason',
    'Describes the reason the container is currently in waiting state.',
  ],
  containerLastTerminatedReason: [
    'kube_pod_container_status_last_terminated_reason',
    'Describes the last reason the container was in terminated state.',
  ],
  containerRequests: ['kube_pod_container_resource_requests', 'The number of requested resource by a container.'],
  containerLimits: ['kube_pod_container_resource_limits', 'The number of requested limit resource by a container.'],

  deploymentSpecReplicas: ['kube_deployment_spec_replicas', 'Number of desired pods for a deployment.'],
  deploymentReplicas: ['kube_deployment_status_replicas', 'The number of replicas per deployment.'],
  deploymentAvailable: [
    'kube_deployment_status_replicas_available',
    'The number of available replicas per deployment.',
  ],
  deploymentUnavailable: [
    'kube_deployment_status_replicas_unavailable',
    'The number of unavailable replicas per deployment.',
  ],
  deploymentUpdated: ['kube_deployment_status_replicas_updated', 'The number of updated replicas per deployment.'],
  deploymentObservedGeneration: [
    'kube_deployment_status_observed_generation',
    'The generation observed by the deployment controller.',
  ],
  deploymentGeneration: [
    'kube_deployment_metadata_generation',
    'Sequence number representing a specific generation of the desired state.',
  ],
  deploymentCondition: ['kube_deployment_status_condition', 'The current status conditions of a deployment.'],

  statefulSetSpecReplicas: ['kube_statefulset_replicas', 'Number of desired pods for a StatefulSet.'],
  statefulSetReplicas: ['kube_statefulset_status_replicas', 'The number of replicas per StatefulSet.'],
  statefulSetReady: ['kube_statefulset_status_replicas_ready', 'The number of ready replicas per StatefulSet.'],
  statefulSetCurrent: ['kube_statefulset_status_replicas_current', 'The number of current replicas per StatefulSet.'],
  statefulSetUpdated: ['kube_statefulset_status_replicas_updated', 'The number of updated replicas per StatefulSet.'],
  statefulSetObservedGeneration: [
    'kube_statefulset_status_observed_generation',
    'The generation observed by the StatefulSet controller.',
  ],
  statefulSetGeneration: [
    'kube_statefulset_metadata_generation',
    'Sequence number representing a specific generation of the desired state for the StatefulSet.',
  ],
  statefulSetCurrentRevision: [
    'kube_statefulset_status_current_revision',
    'Indicates the version of the StatefulSet used to generate Pods in the sequence [0,currentReplicas).',
  ],
  statefulSetUpdateRevision: [
    'kube_statefulset_status_update_revision',
    'Indicates the version of the StatefulSet used to generate Pods in the sequence ' +
      '[replicas-updatedReplicas,replicas)',
  ],

  daemonSetCurrent: [
    'kube_daemonset_status_current_number_scheduled',
    'The number of nodes running at least one daemon pod and are supposed to.',
  ],
  daemonSetDesired: [
    'kube_daemonset_status_desired_number_scheduled',
    'The number of nodes that should be running the daemon pod.',
  ],
  daemonSetMisscheduled: [
    'kube_daemonset_status_number_misscheduled',
    'The number of nodes running a daemon pod but are not supposed to.',
  ],
  daemonSetReady: [
    'kube_daemonset_status_number_ready',
    'The number of nodes that should be running the daemon pod and have one or more of the daemon pod ' +
      'running and ready.',
  ],
  daemonSetAvailable: [
    'kube_daemonset_status_number_available',
    'The number of nodes that should be running the daemon pod and have one or more of the daemon pod ' +
      'running and available',
  ],
  daemonSetUnavailable: [
    'kube_daemonset_status_number_unavailable',
    'The number of nodes that should be running the daemon pod and have none of the daemon pod running and available',
  ],
  daemonSetUpdated: [
    'kube_daemonset_status_updated_number_scheduled',
    'The total number of nodes that are running updated daemon pod',
  ],
  daemonSetObservedGeneration: [
    'kube_daemonset_status_observed_generation',
    'The most recent generation observed by the daemon set controller.',
  ],
  daemonSetGeneration: [
    'kube_daemonset_metadata_generation',
    'Sequence number representing a specific generation of the desired state.',
  ],

  jobCompletions: [
    'kube_job_spec_completions',
    'The desired number of successfully finished pods the job should be run with.',
  ],
  jobActive: ['kube_job_status_active', 'The number of actively running pods.'],
  jobSucceeded: ['kube_job_status_succeeded', 'The number of pods which reached Phase Succeeded.'],
  jobFailed: ['kube_job_status_failed', 'The number of pods which reached Phase Failed.'],
  jobStartTime: [
    'kube_job_status_start_time',
    'StartTime represents time when the job was acknowledged by the Job Manager.',
  ],
  jobCompletionTime: ['kube_job_status_completion_time', 'CompletionTime represents time when the job was completed.'],
  jobFailedCondition: ['kube_job_failed', 'The job has failed its execution.'],
  jobOwner: ['kube_job_owner', "Information about the Job's owner."],

  hpaMinReplicas: [
    'kube_horizontalpodautoscaler_spec_min_replicas',
    'Lower limit for the number of pods that can be set by the autoscaler, default 1.',
  ],
  hpaMaxReplicas: [
    'kube_horizontalpodautoscaler_spec_max_replicas',
    'Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.',
  ],
  hpaCurrentReplicas: [
    'kube_horizontalpodautoscaler_status_current_replicas',
    'Current number of replicas of pods managed by this autoscaler.',
  ],
  hpaDesiredReplicas: [
    'kube_horizontalpodautoscaler_status_desired_replicas',
    'Desired number of replicas of pods managed by this autoscaler.',
  ],

  nodeInfo: ['kube_node_info', 'Information about a cluster node.'],
  nodeCondition: ['kube_node_status_condition', 'The condition of a cluster node.'],
  nodeUnschedulable: ['kube_node_spec_unschedulable', 'Whether a node can schedule new pods.'],
  nodeTaint: ['kube_node_spec_taint', 'The taint of a cluster node.'],
  nodeCapacity: ['kube_node_status_capacity', 'The capacity for different resources of a node.'],
  nodeAllocatable: [
    'kube_node_status_allocatable',
    'The allocatable for different resources of a node that are available for scheduling.',
  ],
  /** watchkeeper's own (the node agent's, job="node"): kube-state-metrics has only per-container requests. */
  nodePodRequests: [
    'kube_node_pod_requests',
    'Sum of the resource requests of the pods bound to the node that are not finished.',
  ],

  pvcInfo: ['kube_persistentvolumeclaim_info', 'Information about persistent volume claim.'],
  pvcPhase: ['kube_persistentvolumeclaim_status_phase', 'The phase the persistent volume claim is currently in.'],
  pvcRequests: [
    'kube_persistentvolumeclaim_resource_requests_storage_bytes',
    'The capacity of storage requested by the persistent volume claim.',
  ],
  pvPhase: [
    'kube_persistentvolume_status_phase',
    'The phase indicates if a volume is available, bound to a claim, or released by a claim.',
  ],
  pvCapacity: ['kube_persistentvolume_capacity_bytes', 'Persistentvolume capacity in bytes.'],
  pvClaimRef: ['kube_persistentvolume_claim_ref', 'Information about the Persistent Volume Claim Reference.'],

  namespacePhase: ['kube_namespace_status_phase', 'kubernetes namespace status phase.'],
} as const satisfies Record<string, readonly [string, string]>;

/** One series family of {@link stateSeries}. */
export type StateSeries = keyof typeof stateSeries;

/** The name of a family. */
export function seriesName(family: StateSeries): string {
  return stateSeries[family][0];
}

/** Every family name the cluster-state collector and the node agent's node resources export. */
export const stateSeriesNames: readonly string[] = Object.values(stateSeries).map(([name]) => name);

/** Families that are counters (the rest are gauges). */
export const stateCounters: ReadonlySet<StateSeries> = new Set<StateSeries>(['containerRestarts']);
