import { readFile } from 'node:fs/promises';
import type { ExpositionHandler } from '../types.ts';
import { emitCgroupVersion } from './cgroup.ts';
import { nodeCollectorConfigSchema, type NodeCollectorConfig, type NodeCollectorName } from './config.ts';
import { emitDiskstats } from './diskstats.ts';
import { NodeEmitter } from './emitter.ts';
import { FilesystemCollector } from './filesystem.ts';
import { emitLoadavg } from './loadavg.ts';
import { emitMeminfo } from './meminfo.ts';
import { emitNetDev } from './netdev.ts';
import { emitPressure } from './pressure.ts';
import { emitProcStat } from './proc-stat.ts';

/** What one collection did: samples emitted and the parts that failed (with why). */
export interface NodeCollectionResult {
  samples: number;
  failed: { collector: NodeCollectorName; error: string }[];
}

/**
 * The built-in node collector: reads /proc and /sys and hands node_exporter-named samples straight to an
 * {@link ExpositionHandler}, the interface the exposition parser feeds, so the engine scrapes it in-process:
 * no HTTP round trip, no text to format and parse again (about 1,000 samples per collection on a small node).
 * Each part also reports node_scrape_collector_success{collector} and _duration_seconds like node_exporter;
 * a part that fails (a file missing: no PSI in the kernel, a hidden /proc) fails alone.
 */
export class NodeCollector {
  private readonly config: NodeCollectorConfig;
  private readonly filesystems: FilesystemCollector;
  private readonly excludeDisks: RegExp;
  private readonly excludeNet: RegExp;

  constructor(config: Partial<NodeCollectorConfig> = {}) {
    this.config = nodeCollectorConfigSchema.parse(config);
    this.filesystems = new FilesystemCollector({
      mountPointsExclude: new RegExp(this.config.mountPointsExclude, 'u'),
      fsTypesExclude: new RegExp(this.config.fsTypesExclude, 'u'),
      rootfsPath: this.config.rootfsPath.replace(/\/$/, ''),
      statfsTimeoutMs: this.config.statfsTimeoutSeconds * 1000,
    });
    this.excludeDisks = new RegExp(this.config.diskDevicesExclude, 'u');
    this.excludeNet = new RegExp(this.config.netDevicesExclude, 'u');
  }

  /** Collects every enabled part once into `handler`; never throws for a missing or unreadable file. */
  async collect(handler: ExpositionHandler): Promise<NodeCollectionResult> {
    const out = new NodeEmitter(handler);
    const failed: NodeCollectionResult['failed'] = [];
    for (const name of this.config.collectors) {
      const started = performance.now();
      let ok = true;
      try {
        await this.run(name, out);
      } catch (error) {
        ok = false;
        failed.push({ collector: name, error: error instanceof Error ? error.message : String(error) });
      }
      out.emit(
        'node_scrape_collector_duration_seconds',
        'gauge',
        'node_exporter: Duration of a collector scrape.',
        { collector: name },
        (performance.now() - started) / 1000,
      );
      out.emit(
        'node_scrape_collector_success',
        'gauge',
        'node_exporter: Whether a collector succeeded.',
        { collector: name },
        ok ? 1 : 0,
      );
    }
    return { samples: out.count, failed };
  }

  /** Mount points whose statfs is still pending (hung network filesystems). */
  stuckMounts(): string[] {
    return this.filesystems.stuckMounts();
  }

  private async run(name: NodeCollectorName, out: NodeEmitter): Promise<void> {
    const proc = this.config.procPath;
    const read = (path: string) => readFile(`${proc}/${path}`, 'utf8');
    switch (name) {
      case 'cpu':
        emitProcStat(await read('stat'), out);
        return;
      case 'meminfo':
        emitMeminfo(await read('meminfo'), out);
        return;
      case 'loadavg':
        emitLoadavg(await read('loadavg'), out);
        return;
      case 'diskstats':
        emitDiskstats(await read('diskstats'), this.excludeDisks, out);
        return;
      case 'netdev':
        emitNetDev(await read('net/dev'), this.excludeNet, out);
        return;
      case 'filesystem': {
        // node_exporter reads PID 1's mounts (the host's, with hostPID) and falls back when hidepid hides it.
        const mounts = await read('1/mounts').catch(() => read('mounts'));
        await this.filesystems.collect(mounts, out);
        return;
      }
      case 'pressure':
        for (const resource of ['cpu', 'io', 'memory'] as const)
          emitPressure(resource, await read(`pressure/${resource}`), out);
        return;
      case 'cgroup':
        await emitCgroupVersion(this.config.sysPath, out);
        return;
    }
  }
}
