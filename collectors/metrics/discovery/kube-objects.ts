import type { KubeObject, ObjectMeta } from '../../../core/kube/index.ts';

/** Metadata with the generation, which workload objects carry and the cluster-state collector reads. */
export interface GenerationMeta extends ObjectMeta {
  generation?: number;
}

/** A condition of an object's status (nodes, pods, workloads). */
export interface KubeCondition {
  type: string;
  status: string;
  reason?: string;
}

/** The fields of a Node that discovery and the cluster-state collector read. */
export interface KubeNode extends KubeObject {
  spec?: {
    providerID?: string;
    unschedulable?: boolean;
    taints?: { key: string; value?: string; effect: string }[];
  };
  status?: {
    addresses?: { type: string; address: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    conditions?: KubeCondition[];
    nodeInfo?: {
      kernelVersion?: string;
      osImage?: string;
      containerRuntimeVersion?: string;
      kubeletVersion?: string;
    };
  };
}

/** A container (or init container) as discovery reads it. */
export interface KubeContainer {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** A container's status as the cluster-state collector reads it. */
export interface KubeContainerStatus {
  name: string;
  containerID?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string } };
  lastState?: { terminated?: { reason?: string } };
}

/** The fields of a Pod that discovery and the cluster-state collector read. */
export interface KubePod extends KubeObject {
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers?: KubeContainer[];
    initContainers?: KubeContainer[];
    overhead?: Record<string, string>;
  };
  status?: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: KubeCondition[];
    containerStatuses?: KubeContainerStatus[];
  };
}

/** The fields of a Service that discovery reads. */
export interface KubeService extends KubeObject {
  spec?: { type?: string; clusterIP?: string; ports?: { name?: string; port: number; protocol?: string }[] };
}

/** The fields of a discovery.k8s.io/v1 EndpointSlice that discovery reads. */
export interface KubeEndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    nodeName?: string;
    hostname?: string;
    targetRef?: { kind?: string; name?: string; namespace?: string };
  }[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}

/** The fields of a Namespace the cluster-state collector reads. */
export interface KubeNamespace extends KubeObject {
  status?: { phase?: string };
}

/** The fields of an apps/v1 Deployment the cluster-state collector reads. */
export interface KubeDeployment extends KubeObject {
  metadata: GenerationMeta;
  spec?: { replicas?: number };
  status?: {
    replicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
    conditions?: KubeCondition[];
  };
}

/** The fields of an apps/v1 StatefulSet the cluster-state collector reads. */
export interface KubeStatefulSet extends KubeObject {
  metadata: GenerationMeta;
  spec?: { replicas?: number };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    currentReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

/** The fields of an apps/v1 DaemonSet the cluster-state collector reads. */
export interface KubeDaemonSet extends KubeObject {
  metadata: GenerationMeta;
  status?: {
    currentNumberScheduled?: number;
    desiredNumberScheduled?: number;
    numberMisscheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    numberUnavailable?: number;
    updatedNumberScheduled?: number;
    observedGeneration?: number;
  };
}

/** The fields of a batch/v1 Job the cluster-state collector reads. */
export interface KubeJob extends KubeObject {
  spec?: { completions?: number };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: KubeCondition[];
  };
}

/** The fields of an autoscaling/v2 HorizontalPodAutoscaler the cluster-state collector reads. */
export interface KubeHorizontalPodAutoscaler extends KubeObject {
  spec?: { minReplicas?: number; maxReplicas?: number };
  status?: { currentReplicas?: number; desiredReplicas?: number };
}

/** The fields of a PersistentVolumeClaim the cluster-state collector reads. */
export interface KubePersistentVolumeClaim extends KubeObject {
  spec?: { storageClassName?: string; volumeName?: string; resources?: { requests?: Record<string, string> } };
  status?: { phase?: string };
}

/** The fields of a PersistentVolume the cluster-state collector reads. */
export interface KubePersistentVolume extends KubeObject {
  spec?: {
    capacity?: Record<string, string>;
    storageClassName?: string;
    claimRef?: { name?: string; namespace?: string };
  };
  status?: { phase?: string };
}
