import type { ObjectMeta } from '../../../core/kube/index.ts';
import type {
  GenerationMeta,
  KubeContainer,
  KubeContainerStatus,
  KubeDaemonSet,
  KubeDeployment,
  KubeEndpointSlice,
  KubeHorizontalPodAutoscaler,
  KubeJob,
  KubeNamespace,
  KubeNode,
  KubePersistentVolume,
  KubePersistentVolumeClaim,
  KubePod,
  KubeService,
  KubeStatefulSet,
} from './kube-objects.ts';

/** kubectl's copy of the whole object: large, and no one relabels on it. */
const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

function meta(m: ObjectMeta): ObjectMeta {
  const annotations = m.annotations ? { ...m.annotations } : undefined;
  if (annotations) delete annotations[lastApplied];
  return {
    ...(m.name ? { name: m.name } : {}),
    ...(m.namespace ? { namespace: m.namespace } : {}),
    ...(m.uid ? { uid: m.uid } : {}),
    ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
    ...(m.labels ? { labels: m.labels } : {}),
    ...(annotations ? { annotations } : {}),
    ...(m.ownerReferences ? { ownerReferences: m.ownerReferences.filter((o) => o.controller) } : {}),
  };
}

/** The parts of a node discovery reads. */
export function trimNode(n: KubeNode): KubeNode {
  return {
    metadata: meta(n.metadata),
    spec: {
      ...(n.spec?.providerID ? { providerID: n.spec.providerID } : {}),
      ...(n.spec?.unschedulable ? { unschedulable: true } : {}),
      ...(n.spec?.taints ? { taints: n.spec.taints } : {}),
    },
    status: {
      addresses: n.status?.addresses ?? [],
      daemonEndpoints: n.status?.daemonEndpoints ?? {},
      ...(n.status?.capacity ? { capacity: n.status.capacity } : {}),
      ...(n.status?.allocatable ? { allocatable: n.status.allocatable } : {}),
      // Only type and status: heartbeat times and messages change every few seconds and are not read.
      conditions: (n.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status })),
      ...(n.status?.nodeInfo ? { nodeInfo: nodeInfo(n.status.nodeInfo) } : {}),
    },
  };
}

function nodeInfo(i: NonNullable<NonNullable<KubeNode['status']>['nodeInfo']>) {
  return {
    ...(i.kernelVersion ? { kernelVersion: i.kernelVersion } : {}),
    ...(i.osImage ? { osImage: i.osImage } : {}),
    ...(i.containerRuntimeVersion ? { containerRuntimeVersion: i.containerRuntimeVersion } : {}),
    ...(i.kubeletVersion ? { kubeletVersion: i.kubeletVersion } : {}),
  };
}

function containerStatus(s: KubeContainerStatus): KubeContainerStatus {
  const waiting = s.state?.waiting;
  const terminated = s.lastState?.terminated;
  return {
    name: s.name,
    ...(s.containerID ? { containerID: s.containerID } : {}),
    ...(s.ready !== undefined ? { ready: s.ready } : {}),
    ...(s.restartCount !== undefined ? { restartCount: s.restartCount } : {}),
    ...(waiting ? { state: { waiting: waiting.reason ? { reason: waiting.reason } : {} } } : {}),
    ...(terminated ? { lastState: { terminated: terminated.reason ? { reason: terminated.reason } : {} } } : {}),
  };
}

/** The parts of a pod discovery and the cluster-state collector read. */
export function trimPod(p: KubePod): KubePod {
  const container = (c: KubeContainer): KubeContainer => {
    const { requests, limits } = c.resources ?? {};
    return {
      name: c.name,
      ...(c.image ? { image: c.image } : {}),
      ...(c.ports ? { ports: c.ports } : {}),
      ...(requests || limits
        ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } }
        : {}),
    };
  };
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    metadata: meta(p.metadata),
    spec: {
      ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
      containers: (p.spec?.containers ?? []).map(container),
      initContainers: (p.spec?.initContainers ?? []).map(container),
      ...(p.spec?.overhead ? { overhead: p.spec.overhead } : {}),
    },
    status: {
      ...(p.status?.phase ? { phase: p.status.phase } : {}),
      ...(p.status?.podIP ? { podIP: p.status.podIP } : {}),
      ...(p.status?.hostIP ? { hostIP: p.status.hostIP } : {}),
      conditions: ready ? [{ type: 'Ready', status: ready.status }] : [],
      containerStatuses: (p.status?.containerStatuses ?? []).map(containerStatus),
    },
  };
}

/** The parts of a service discovery reads. */
export function trimService(s: KubeService): KubeService {
  return {
    metadata: meta(s.metadata),
    spec: {
      ...(s.spec?.type ? { type: s.spec.type } : {}),
      ...(s.spec?.clusterIP ? { clusterIP: s.spec.clusterIP } : {}),
    },
  };
}

/** The parts of an EndpointSlice discovery reads. */
export function trimEndpointSlice(s: KubeEndpointSlice): KubeEndpointSlice {
  return {
    metadata: meta(s.metadata),
    ...(s.addressType ? { addressType: s.addressType } : {}),
    endpoints: s.endpoints ?? [],
    ports: s.ports ?? [],
  };
}

/** Name, namespace, version, controller and generation: all a cluster-state series needs of a workload's metadata. */
function stateMeta(m: GenerationMeta): GenerationMeta {
  const owners = m.ownerReferences?.filter((o) => o.controller);
  return {
    ...(m.name ? { name: m.name } : {}),
    ...(m.namespace ? { namespace: m.namespace } : {}),
    ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
    ...(m.generation !== undefined ? { generation: m.generation } : {}),
    ...(owners?.length ? { ownerReferences: owners } : {}),
  };
}

/** Keeps only the named fields of an object's spec or status. */
function pick<T extends object, K extends keyof T>(o: T | undefined, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  if (!o) return out;
  for (const key of keys) if (o[key] !== undefined) out[key] = o[key];
  return out;
}

/** The parts of a namespace the cluster-state collector reads. */
export function trimNamespace(n: KubeNamespace): KubeNamespace {
  return { metadata: stateMeta(n.metadata), status: pick(n.status, ['phase']) };
}

/** The parts of a Deployment the cluster-state collector reads. */
export function trimDeployment(d: KubeDeployment): KubeDeployment {
  const status = d.status;
  return {
    metadata: stateMeta(d.metadata),
    spec: pick(d.spec, ['replicas']),
    status: {
      ...pick(status, [
        'replicas',
        'availableReplicas',
        'unavailableReplicas',
        'updatedReplicas',
        'observedGeneration',
      ]),
      conditions: (status?.conditions ?? []).map((c) => ({
        type: c.type,
        status: c.status,
        ...(c.reason ? { reason: c.reason } : {}),
      })),
    },
  };
}

/** The parts of a StatefulSet the cluster-state collector reads. */
export function trimStatefulSet(s: KubeStatefulSet): KubeStatefulSet {
  return {
    metadata: stateMeta(s.metadata),
    spec: pick(s.spec, ['replicas']),
    status: pick(s.status, [
      'replicas',
      'readyReplicas',
      'currentReplicas',
      'updatedReplicas',
      'observedGeneration',
      'currentRevision',
      'updateRevision',
    ]),
  };
}

/** The parts of a DaemonSet the cluster-state collector reads. */
export function trimDaemonSet(d: KubeDaemonSet): KubeDaemonSet {
  return {
    metadata: stateMeta(d.metadata),
    status: pick(d.status, [
      'currentNumberScheduled',
      'desiredNumberScheduled',
      'numberMisscheduled',
      'numberReady',
      'numberAvailable',
      'numberUnavailable',
      'updatedNumberScheduled',
      'observedGeneration',
    ]),
  };
}

/** The parts of a Job the cluster-state collector reads. */
export function trimJob(j: KubeJob): KubeJob {
  return {
    metadata: stateMeta(j.metadata),
    spec: pick(j.spec, ['completions']),
    status: {
      ...pick(j.status, ['active', 'succeeded', 'failed', 'startTime', 'completionTime']),
      conditions: (j.status?.conditions ?? []).map((c) => ({
        type: c.type,
        status: c.status,
        ...(c.reason ? { reason: c.reason } : {}),
      })),
    },
  };
}

/** The parts of a HorizontalPodAutoscaler the cluster-state collector reads. */
export function trimHorizontalPodAutoscaler(h: KubeHorizontalPodAutoscaler): KubeHorizontalPodAutoscaler {
  return {
    metadata: stateMeta(h.metadata),
    spec: pick(h.spec, ['minReplicas', 'maxReplicas']),
    status: pick(h.status, ['currentReplicas', 'desiredReplicas']),
  };
}

/** The parts of a PersistentVolumeClaim the cluster-state collector reads. */
export function trimPersistentVolumeClaim(c: KubePersistentVolumeClaim): KubePersistentVolumeClaim {
  const storage = c.spec?.resources?.requests?.storage;
  return {
    metadata: stateMeta(c.metadata),
    spec: {
      ...pick(c.spec, ['storageClassName', 'volumeName']),
      ...(storage ? { resources: { requests: { storage } } } : {}),
    },
    status: pick(c.status, ['phase']),
  };
}

/** The parts of a PersistentVolume the cluster-state collector reads. */
export function trimPersistentVolume(v: KubePersistentVolume): KubePersistentVolume {
  const storage = v.spec?.capacity?.storage;
  const claim = v.spec?.claimRef;
  return {
    metadata: stateMeta(v.metadata),
    spec: {
      ...pick(v.spec, ['storageClassName']),
      ...(storage ? { capacity: { storage } } : {}),
      ...(claim ? { claimRef: pick(claim, ['name', 'namespace']) } : {}),
    },
    status: pick(v.status, ['phase']),
  };
}
