import type { KubeClient } from '../../../core/kube/client.ts';
import { Informer } from '../../../core/kube/informer.ts';
import { resourcePath, resources } from '../../../core/kube/paths.ts';
import type { KubeObject } from '../../../core/kube/types.ts';
import type { Logger } from '../../../core/log.ts';

/** What the API adds to a container's log events. */
export interface PodInfo {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName?: string;
  /** Container name -> container id (without the runtime prefix). */
  containerIds: Record<string, string>;
}

/** Looks pods up; implementations must answer from memory (it is called per file, not per line). */
export interface PodMetadataProvider {
  get(namespace: string, pod: string): PodInfo | undefined;
  /** Called when a pod's metadata changes, so that per-file caches can be refreshed. */
  onChange(listener: (namespace: string, pod: string) => void): void;
  stop(): Promise<void>;
}

/** A provider that knows nothing: events carry the fields of their path only. */
export const noPodMetadata: PodMetadataProvider = {
  get: () => undefined,
  onChange: () => undefined,
  stop: () => Promise.resolve(),
};

interface Pod extends KubeObject {
  spec?: { nodeName?: string };
  status?: {
    containerStatuses?: { name: string; containerID?: string }[];
    initContainerStatuses?: { name: string; containerID?: string }[];
  };
}

function toInfo(pod: Pod): PodInfo {
  const containerIds: Record<string, string> = {};
  for (const s of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    if (s.containerID) containerIds[s.name] = s.containerID.replace(/^[a-z]+:\/\//, '');
  }
  return {
    labels: pod.metadata.labels ?? {},
    annotations: pod.metadata.annotations ?? {},
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    containerIds,
  };
}

/**
 * Pod metadata from a watch-backed cache of the API (the pods of one node when nodeName is given).
 * It starts in the background: until the first list arrives, and whenever the API is unreachable,
 * lookups miss and events carry their path fields only.
 */
export function kubePodMetadata(
  client: KubeClient,
  options: { nodeName?: string; logger: Logger },
): PodMetadataProvider {
  const informer = new Informer<Pod>(client, resourcePath(resources.pods), {
    ...(options.nodeName ? { fieldSelector: `spec.nodeName=${options.nodeName}` } : {}),
    onError: (error, action) =>
      options.logger.warn({ err: error, action }, 'Pod watch failed; enrichment uses path fields meanwhile.'),
  });
  const listeners: ((namespace: string, pod: string) => void)[] = [];
  informer.onChange((change) => {
    for (const l of listeners) l(change.object.metadata.namespace ?? '', change.object.metadata.name ?? '');
  });
  informer.start().catch((error: unknown) => options.logger.warn({ err: error }, 'Pod cache did not start.'));
  return {
    get(namespace, pod) {
      const found = informer.get(namespace, pod);
      return found ? toInfo(found) : undefined;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    stop: () => informer.stop(),
  };
}
