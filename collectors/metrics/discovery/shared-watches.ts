import { resourcePath, resources, type KubeClient, type KubeObject } from '../../../core/kube/index.ts';
import type {
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
import {
  trimDaemonSet,
  trimDeployment,
  trimEndpointSlice,
  trimHorizontalPodAutoscaler,
  trimJob,
  trimNamespace,
  trimNode,
  trimPersistentVolume,
  trimPersistentVolumeClaim,
  trimPod,
  trimService,
  trimStatefulSet,
} from './trim.ts';
import { WatchedStore } from './watched-store.ts';

/** A collection discovery (and the cluster-state collector) can watch. */
export type WatchedKind = keyof KindTypes;

/** The trimmed object type each watched collection holds. */
export interface KindTypes {
  nodes: KubeNode;
  pods: KubePod;
  services: KubeService;
  endpointslices: KubeEndpointSlice;
  namespaces: KubeNamespace;
  deployments: KubeDeployment;
  statefulsets: KubeStatefulSet;
  daemonsets: KubeDaemonSet;
  jobs: KubeJob;
  horizontalpodautoscalers: KubeHorizontalPodAutoscaler;
  persistentvolumeclaims: KubePersistentVolumeClaim;
  persistentvolumes: KubePersistentVolume;
}

const kinds = {
  nodes: { path: resourcePath(resources.nodes), trim: trimNode },
  pods: { path: resourcePath(resources.pods), trim: trimPod },
  services: { path: resourcePath(resources.services), trim: trimService },
  endpointslices: { path: resourcePath(resources.endpointSlices), trim: trimEndpointSlice },
  namespaces: { path: resourcePath(resources.namespaces), trim: trimNamespace },
  deployments: { path: resourcePath(resources.deployments), trim: trimDeployment },
  statefulsets: {
    path: resourcePath({ group: 'apps', version: 'v1', resource: 'statefulsets' }),
    trim: trimStatefulSet,
  },
  daemonsets: { path: resourcePath({ group: 'apps', version: 'v1', resource: 'daemonsets' }), trim: trimDaemonSet },
  jobs: { path: resourcePath({ group: 'batch', version: 'v1', resource: 'jobs' }), trim: trimJob },
  horizontalpodautoscalers: {
    path: resourcePath({ group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' }),
    trim: trimHorizontalPodAutoscaler,
  },
  persistentvolumeclaims: {
    path: resourcePath({ version: 'v1', resource: 'persistentvolumeclaims' }),
    trim: trimPersistentVolumeClaim,
  },
  persistentvolumes: {
    path: resourcePath({ version: 'v1', resource: 'persistentvolumes' }),
    trim: trimPersistentVolume,
  },
} as const;

/**
 * One watch per collection (kind + selectors), shared by every job that asks for it and stopped when the last
 * one lets go: ten pod jobs cost one pod watch. A node agent asks for `pods` with `spec.nodeName=<node>` and
 * so watches only its node's pods.
 */
export class SharedWatches {
  private readonly stores = new Map<string, { store: WatchedStore<KubeObject>; users: number }>();
  private readonly client: KubeClient;
  private readonly onError: (kind: WatchedKind, error: unknown, action: 'reconnect' | 'relist') => void;

  constructor(
    client: KubeClient,
    onError: (kind: WatchedKind, error: unknown, action: 'reconnect' | 'relist') => void = () => undefined,
  ) {
    this.client = client;
    this.onError = onError;
  }

  /** The store of a collection, started (first list done) before it is returned. */
  async acquire<K extends WatchedKind>(
    kind: K,
    selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<WatchedStore<KindTypes[K]>> {
    const key = storeKey(kind, selectors);
    let entry = this.stores.get(key);
    if (!entry) {
      const spec = kinds[kind];
      const store = new WatchedStore<KubeObject>(this.client, spec.path, {
        ...selectors,
        trim: spec.trim,
        onError: (error, action) => this.onError(kind, error, action),
      });
      entry = { store, users: 0 };
      this.stores.set(key, entry);
    }
    entry.users++;
    await entry.store.start();
    return entry.store;
  }

  /** Lets go of a store acquired before; the last user stops its watch. */
  async release(kind: WatchedKind, selectors: { labelSelector?: string; fieldSelector?: string } = {}): Promise<void> {
    const key = storeKey(kind, selectors);
    const entry = this.stores.get(key);
    if (!entry) return;
    entry.users--;
    if (entry.users <= 0) {
      this.stores.delete(key);
      await entry.store.stop();
    }
  }

  /** Watches running now, by key (kind and selectors). */
  active(): string[] {
    return [...this.stores.keys()];
  }

  /** Stops every watch. */
  async stop(): Promise<void> {
    const entries = [...this.stores.values()];
    this.stores.clear();
    await Promise.all(entries.map((e) => e.store.stop()));
  }
}

function storeKey(kind: WatchedKind, s: { labelSelector?: string; fieldSelector?: string }): string {
  return `${kind}?labelSelector=${s.labelSelector ?? ''}&fieldSelector=${s.fieldSelector ?? ''}`;
}
