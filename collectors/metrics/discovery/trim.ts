import type { ObjectMeta } from '../../../core/kube/index.ts';
import type { KubeEndpointSlice, KubeNode, KubePod, KubeService } from './kube-objects.ts';

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
    spec: { ...(n.spec?.providerID ? { providerID: n.spec.providerID } : {}) },
    status: {
      addresses: n.status?.addresses ?? [],
      daemonEndpoints: n.status?.daemonEndpoints ?? {},
      ...(n.status?.capacity ? { capacity: n.status.capacity } : {}),
      ...(n.status?.allocatable ? { allocatable: n.status.allocatable } : {}),
    },
  };
}

/** The parts of a pod discovery reads. */
export function trimPod(p: KubePod): KubePod {
  const container = (c: NonNullable<NonNullable<KubePod['spec']>['containers']>[number]) => ({
    name: c.name,
    ...(c.image ? { image: c.image } : {}),
    ...(c.ports ? { ports: c.ports } : {}),
    ...(c.resources?.requests ? { resources: { requests: c.resources.requests } } : {}),
  });
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
      containerStatuses: (p.status?.containerStatuses ?? []).map((s) => ({
        name: s.name,
        ...(s.containerID ? { containerID: s.containerID } : {}),
      })),
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
