import type { PathMetadata } from './path-metadata.ts';
import type { PodInfo } from './pod-metadata.ts';

/** Annotations never copied into events: large and of no use for search. */
const skippedAnnotations = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

/**
 * The static tail of a container log document: closes `log` with the file path and adds the
 * Kubernetes fields from the path and, when known, labels, annotations, node and container id
 * from the API. Computed once per file (and again when the pod changes), never per line.
 */
export function containerSuffix(path: string, meta: PathMetadata | undefined, pod: PodInfo | undefined): Buffer {
  let s = `,"file":{"path":${JSON.stringify(path)}}},"source":"container"`;
  if (meta) {
    const kube: Record<string, unknown> = {
      namespace: meta.namespace,
      pod: { name: meta.pod, ...(meta.podUid ? { uid: meta.podUid } : {}) },
      container: { name: meta.container, ...(meta.restart !== undefined ? { restart: meta.restart } : {}) },
    };
    if (pod) {
      if (pod.nodeName) kube.node = { name: pod.nodeName };
      kube.labels = pod.labels;
      kube.annotations = Object.fromEntries(
        Object.entries(pod.annotations).filter(([k]) => !skippedAnnotations.has(k)),
      );
    }
    s += `,"kubernetes":${JSON.stringify(kube)}`;
    const id = meta.containerId ?? pod?.containerIds[meta.container];
    if (id) s += `,"container":{"id":${JSON.stringify(id)}}`;
  }
  return Buffer.from(`${s}}`);
}

/** The static tail of a component log document. */
export function componentSuffix(path: string, component: string): Buffer {
  void component;
  return Buffer.from(`,"file":{"path":${JSON.stringify(path)}}},"source":"component"}`);
}
