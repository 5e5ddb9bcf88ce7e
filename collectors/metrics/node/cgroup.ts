import { statfs } from 'node:fs/promises';
import type { NodeEmitter } from './emitter.ts';

const cgroup2Magic = 0x63677270;
const tmpfsMagic = 0x01021994;

/**
 * The cgroup version of the node, from the filesystem type at `<sys>/fs/cgroup` (as the kubelet and runc tell
 * it): cgroup2 mounted there is version 2 (unified); a tmpfs holding controller mounts is version 1 (legacy or
 * hybrid). node_cgroup_version is a watchkeeper addition (node_exporter has none): 2, 1, or 0 when unknown.
 */
export async function emitCgroupVersion(sysPath: string, out: NodeEmitter): Promise<void> {
  let version = 0;
  try {
    const stats = await statfs(`${sysPath}/fs/cgroup`);
    version = stats.type === cgroup2Magic ? 2 : stats.type === tmpfsMagic ? 1 : 0;
  } catch {
    version = 0;
  }
  out.emit(
    'node_cgroup_version',
    'gauge',
    'cgroup version of the node: 2 (unified), 1 (legacy or hybrid), 0 unknown.',
    {},
    version,
  );
}
