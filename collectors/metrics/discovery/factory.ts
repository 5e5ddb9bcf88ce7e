import type { KubeObject } from '../../../core/kube/index.ts';
import type { TargetLabels, TargetSource } from '../types.ts';
import type { KubernetesDiscoveryConfig } from './config.ts';
import { apiServerTargets, staticPodTargets, type StaticPodComponent } from './control-plane-targets.ts';
import type { KubeEndpointSlice, KubeNode, KubePod, KubeService } from './kube-objects.ts';
import { KubernetesTargetSource, type WatchNeed } from './kubernetes-source.ts';
import { nodeTargets } from './node-targets.ts';
import { podTargets } from './pod-targets.ts';
import { serviceTargets } from './service-targets.ts';
import type { SharedWatches } from './shared-watches.ts';
import type { WatchedStore } from './watched-store.ts';

/** What every Kubernetes source of a process shares. */
export interface DiscoveryContext {
  watches: SharedWatches;
  /** This node's name (the agent, from the downward API); needed by `ownNode`. */
  nodeName?: string;
  debounceMs?: number;
}

/** A source that always has the same targets (control-plane `addresses`). */
class FixedTargetSource implements TargetSource {
  readonly job: string;
  private readonly targets: TargetLabels[];
  constructor(job: string, targets: TargetLabels[]) {
    this.job = job;
    this.targets = targets;
  }
  start(onChange: (targets: readonly TargetLabels[]) => void): Promise<void> {
    onChange(this.targets);
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Builds the TargetSource of a job with a `kubernetes:` section. Watches are shared through `context.watches`:
 * node roles share the node watch, pod and static-pod roles the pod watch (one per field selector), service and
 * apiserver roles the EndpointSlice watch. Throws when `ownNode` is asked for without a node name.
 */
export function createKubernetesSource(
  job: string,
  sd: KubernetesDiscoveryConfig,
  context: DiscoveryContext,
): TargetSource {
  const { watches, debounceMs } = context;
  if (sd.ownNode && !context.nodeName)
    throw new Error(`job ${job}: kubernetes.ownNode needs the node name (NODE_NAME from the downward API)`);
  const make = (needs: WatchNeed[], build: (stores: readonly WatchedStore<KubeObject>[]) => TargetLabels[]) =>
    new KubernetesTargetSource({ job, watches, needs, build, ...(debounceMs !== undefined ? { debounceMs } : {}) });
  const values = <T>(store: WatchedStore<KubeObject> | undefined) =>
    (store ? store.values() : [].values()) as IterableIterator<T>;
  const path = sd.metricsPath ?? '/metrics';
  const podNeed: WatchNeed = sd.ownNode
    ? { kind: 'pods', fieldSelector: `spec.nodeName=${context.nodeName}` }
    : { kind: 'pods' };

  switch (sd.role) {
    case 'node': {
      const need: WatchNeed = sd.ownNode
        ? { kind: 'nodes', fieldSelector: `metadata.name=${context.nodeName}` }
        : { kind: 'nodes' };
      return make([need], ([nodes]) =>
        nodeTargets(values<KubeNode>(nodes), {
          metricsPath: path,
          scheme: sd.scheme ?? 'https',
          ...(sd.port ? { port: sd.port } : {}),
        }),
      );
    }
    case 'pod':
      return make([podNeed], ([pods]) =>
        podTargets(values<KubePod>(pods), {
          annotated: sd.annotated,
          annotationPrefix: sd.annotationPrefix,
          namespaces: sd.namespaces,
          metricsPath: path,
          scheme: sd.scheme ?? 'http',
        }),
      );
    case 'service':
      return make([{ kind: 'services' }, { kind: 'endpointslices' }], ([services, slices]) =>
        serviceTargets(values<KubeService>(services), values<KubeEndpointSlice>(slices), {
          annotationPrefix: sd.annotationPrefix,
          namespaces: sd.namespaces,
          metricsPath: path,
          scheme: sd.scheme ?? 'http',
        }),
      );
    case 'apiserver':
      if (sd.addresses.length > 0) return new FixedTargetSource(job, fixedTargets(sd));
      return make([{ kind: 'endpointslices' }], ([slices]) => apiServerTargets(values<KubeEndpointSlice>(slices)));
    case 'etcd':
    case 'kube-scheduler':
    case 'kube-controller-manager': {
      if (sd.addresses.length > 0) return new FixedTargetSource(job, fixedTargets(sd));
      const component: StaticPodComponent = sd.role;
      return make([podNeed], ([pods]) => staticPodTargets(values<KubePod>(pods), component, sd.port));
    }
  }
}

function fixedTargets(sd: KubernetesDiscoveryConfig): TargetLabels[] {
  return sd.addresses.map((address) => ({
    __address__: address,
    __scheme__: sd.scheme ?? 'https',
    __metrics_path__: sd.metricsPath ?? '/metrics',
  }));
}
