import { basename, dirname } from 'node:path';

/** Kubernetes fields a container log path tells. */
export interface PathMetadata {
  namespace: string;
  pod: string;
  podUid?: string;
  container: string;
  containerId?: string;
  /** Restart count from <n>.log. */
  restart?: number;
}

/**
 * Reads namespace, pod, pod UID, container and restart number from the kubelet layout
 * /var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log, or namespace, pod, container and container
 * id from /var/log/containers/<pod>_<ns>_<container>-<id>.log. Undefined for other paths.
 */
export function pathMetadata(path: string): PathMetadata | undefined {
  const file = basename(path);
  // Rotated files keep the fields: 0.log.20240101-120000.
  const pods = /^(?<restart>\d+)\.log(?:\.[0-9][0-9T:.-]*)?$/.exec(file);
  if (pods) {
    const container = basename(dirname(path));
    const podDir = basename(dirname(dirname(path)));
    const m = /^(?<ns>[^_]+)_(?<pod>[^_]+)_(?<uid>[^_]+)$/.exec(podDir);
    if (m?.groups && container) {
      return {
        namespace: m.groups.ns!,
        pod: m.groups.pod!,
        podUid: m.groups.uid!,
        container,
        restart: Number(pods.groups!.restart),
      };
    }
  }
  const containers = /^(?<pod>[^_]+)_(?<ns>[^_]+)_(?<container>.+)-(?<id>[0-9a-f]{64})\.log$/.exec(file);
  if (containers?.groups) {
    return {
      namespace: containers.groups.ns!,
      pod: containers.groups.pod!,
      container: containers.groups.container!,
      containerId: containers.groups.id!,
    };
  }
  return undefined;
}
