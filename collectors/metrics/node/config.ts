import { z } from 'zod';
import { durationPattern } from '../duration.ts';

/** The parts of the node collector that can be switched off one by one. */
export const nodeCollectorNames = [
  'cpu',
  'meminfo',
  'loadavg',
  'filesystem',
  'diskstats',
  'netdev',
  'pressure',
  'cgroup',
] as const;

/** One part of the node collector. */
export type NodeCollectorName = (typeof nodeCollectorNames)[number];

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s, 'u');
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a valid regular expression' },
);

/**
 * `metrics.node`: the built-in node collector (node_exporter's names for CPU, memory, load, filesystems, disks,
 * network and pressure), so a node needs no node_exporter. Defaults are node_exporter 1.5's as Debian ships it.
 */
export const nodeCollectorConfigSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("Collect the node's own metrics in the agent (job node), instead of running node_exporter."),
    interval: z
      .string()
      .regex(durationPattern, 'a duration such as 15s or 1m')
      .default('15s')
      .describe('Time between two collections (scrapes of the loopback endpoint); the timeout is at most 10s.'),
    procPath: z
      .string()
      .min(1)
      .default('/proc')
      .describe("Where the host's /proc is mounted (e.g. /host/proc in a container)."),
    sysPath: z.string().min(1).default('/sys').describe("Where the host's /sys is mounted (e.g. /host/sys)."),
    rootfsPath: z
      .string()
      .default('')
      .describe("Where the host's / is mounted (e.g. /host/root); filesystems are measured under it."),
    collectors: z
      .array(z.enum(nodeCollectorNames))
      .default([...nodeCollectorNames])
      .describe('Which parts to run.'),
    mountPointsExclude: regex
      .default('^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)')
      .describe('Mount points (regular expression) without filesystem metrics.'),
    fsTypesExclude: regex
      .default(
        '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs' +
          '|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$',
      )
      .describe('Filesystem types (regular expression) without filesystem metrics.'),
    diskDevicesExclude: regex
      .default('^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$')
      .describe('Block devices (regular expression) without disk metrics; partitions by default.'),
    netDevicesExclude: regex.default('^lo$').describe('Network devices (regular expression) without network metrics.'),
    statfsTimeoutSeconds: z
      .number()
      .positive()
      .max(60)
      .default(5)
      .describe(
        'A filesystem whose statfs takes longer is reported with node_filesystem_device_error 1 (stuck mount).',
      ),
  })
  .prefault({});

/** The node collector's configuration. */
export type NodeCollectorConfig = z.output<typeof nodeCollectorConfigSchema>;
