import { statfs } from 'node:fs/promises';
import type { StatsFs } from 'node:fs';
import type { Labels } from '../types.ts';
import type { NodeEmitter } from './emitter.ts';

/** One line of /proc/<pid>/mounts. */
export interface MountEntry {
  device: string;
  mountpoint: string;
  fstype: string;
  options: string[];
}

/** Parses /proc/mounts text; `\040`-style octal escapes in paths are decoded as the kernel wrote them. */
export function parseMounts(text: string): MountEntry[] {
  const unescape = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, mountpoint, fstype, options] = line.split(' ');
    if (!device || !mountpoint || !fstype) continue;
    entries.push({
      device: unescape(device),
      mountpoint: unescape(mountpoint),
      fstype,
      options: (options ?? '').split(','),
    });
  }
  return entries;
}

/** Filters and bounds of the filesystem collector. */
export interface FilesystemOptions {
  mountPointsExclude: RegExp;
  fsTypesExclude: RegExp;
  /** Prefix under which the host's root is mounted (statfs goes there); '' when running on the host. */
  rootfsPath: string;
  /** A statfs slower than this marks the mount stuck (device_error 1) until it returns. */
  statfsTimeoutMs: number;
}

/**
 * node_filesystem_{size,free,avail}_bytes, _files, _files_free, _readonly and _device_error with labels
 * device, fstype, mountpoint, as node_exporter exports them (one series set per distinct label set).
 * statfs on a hung network mount never returns and holds one libuv thread: such a mount is marked stuck and
 * not asked again until its pending call returns, so it holds one thread at most, not one per collection.
 */
export class FilesystemCollector {
  private readonly pending = new Map<string, Promise<StatsFs | undefined>>();
  private readonly options: FilesystemOptions;

  constructor(options: FilesystemOptions) {
    this.options = options;
  }

  /** Emits the metrics of every mount in `mountsText` that passes the filters. */
  async collect(mountsText: string, out: NodeEmitter): Promise<void> {
    const seen = new Set<string>();
    const mounts = parseMounts(mountsText).filter((m) => {
      if (this.options.mountPointsExclude.test(m.mountpoint) || this.options.fsTypesExclude.test(m.fstype))
        return false;
      const key = `${m.device}\0${m.fstype}\0${m.mountpoint}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const results = await Promise.all(mounts.map(async (m) => ({ m, stats: await this.statfs(m.mountpoint) })));
    for (const { m, stats } of results) {
      const labels: Labels = { device: m.device, fstype: m.fstype, mountpoint: m.mountpoint };
      out.emit(
        'node_filesystem_device_error',
        'gauge',
        'Whether an error occurred while getting statistics for the given device.',
        labels,
        stats ? 0 : 1,
      );
      if (!stats) continue;
      const bsize = Number(stats.bsize);
      out.emit(
        'node_filesystem_size_bytes',
        'gauge',
        'Filesystem size in bytes.',
        labels,
        Number(stats.blocks) * bsize,
      );
      out.emit(
        'node_filesystem_free_bytes',
        'gauge',
        'Filesystem free space in bytes.',
        labels,
        Number(stats.bfree) * bsize,
      );
      out.emit(
        'node_filesystem_avail_bytes',
        'gauge',
        'Filesystem space available to non-root users in bytes.',
        labels,
        Number(stats.bavail) * bsize,
      );
      out.emit('node_filesystem_files', 'gauge', 'Filesystem total file nodes.', labels, Number(stats.files));
      out.emit('node_filesystem_files_free', 'gauge', 'Filesystem total free file nodes.', labels, Number(stats.ffree));
      out.emit(
        'node_filesystem_readonly',
        'gauge',
        'Filesystem read-only status.',
        labels,
        m.options.includes('ro') ? 1 : 0,
      );
    }
  }

  /** Mount points whose statfs has not returned yet. */
  stuckMounts(): string[] {
    return [...this.pending.keys()];
  }

  private async statfs(mountpoint: string): Promise<StatsFs | undefined> {
    if (this.pending.has(mountpoint)) return undefined;
    const call = statfs(`${this.options.rootfsPath}${mountpoint}`)
      .then(
        (s) => s,
        () => undefined,
      )
      .finally(() => {
        this.pending.delete(mountpoint);
      });
    this.pending.set(mountpoint, call);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.options.statfsTimeoutMs, undefined);
    });
    try {
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
