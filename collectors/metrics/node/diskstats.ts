import type { MetricType } from '../types.ts';
import type { NodeEmitter } from './emitter.ts';

/**
 * The /proc/diskstats columns after major, minor and name, as node_exporter names them; `scale` turns units into
 * bytes or seconds.
 */
const columns: readonly { name: string; type: MetricType; help: string; scale: number }[] = [
  {
    name: 'node_disk_reads_completed_total',
    type: 'counter',
    help: 'The total number of reads completed successfully.',
    scale: 1,
  },
  { name: 'node_disk_reads_merged_total', type: 'counter', help: 'The total number of reads merged.', scale: 1 },
  {
    name: 'node_disk_read_bytes_total',
    type: 'counter',
    help: 'The total number of bytes read successfully.',
    scale: 512,
  },
  {
    name: 'node_disk_read_time_seconds_total',
    type: 'counter',
    help: 'The total number of seconds spent by all reads.',
    scale: 0.001,
  },
  {
    name: 'node_disk_writes_completed_total',
    type: 'counter',
    help: 'The total number of writes completed successfully.',
    scale: 1,
  },
  { name: 'node_disk_writes_merged_total', type: 'counter', help: 'The number of writes merged.', scale: 1 },
  {
    name: 'node_disk_written_bytes_total',
    type: 'counter',
    help: 'The total number of bytes written successfully.',
    scale: 512,
  },
  {
    name: 'node_disk_write_time_seconds_total',
    type: 'counter',
    help: 'This is the total number of seconds spent by all writes.',
    scale: 0.001,
  },
  { name: 'node_disk_io_now', type: 'gauge', help: 'The number of I/Os currently in progress.', scale: 1 },
  { name: 'node_disk_io_time_seconds_total', type: 'counter', help: 'Total seconds spent doing I/Os.', scale: 0.001 },
  {
    name: 'node_disk_io_time_weighted_seconds_total',
    type: 'counter',
    help: 'The weighted # of seconds spent doing I/Os.',
    scale: 0.001,
  },
  {
    name: 'node_disk_discards_completed_total',
    type: 'counter',
    help: 'The total number of discards completed successfully.',
    scale: 1,
  },
  { name: 'node_disk_discards_merged_total', type: 'counter', help: 'The total number of discards merged.', scale: 1 },
  {
    name: 'node_disk_discarded_sectors_total',
    type: 'counter',
    help: 'The total number of sectors discarded successfully.',
    scale: 1,
  },
  {
    name: 'node_disk_discard_time_seconds_total',
    type: 'counter',
    help: 'This is the total number of seconds spent by all discards.',
    scale: 0.001,
  },
  {
    name: 'node_disk_flush_requests_total',
    type: 'counter',
    help: 'The total number of flush requests completed successfully',
    scale: 1,
  },
  {
    name: 'node_disk_flush_requests_time_seconds_total',
    type: 'counter',
    help: 'This is the total number of seconds spent by all flush requests.',
    scale: 0.001,
  },
];

/** /proc/diskstats: node_disk_*{device} for devices not matching `exclude` (partitions, loop and ram by default). */
export function emitDiskstats(text: string, exclude: RegExp | undefined, out: NodeEmitter): void {
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const device = fields[2];
    if (!device || fields.length < 14 || exclude?.test(device)) continue;
    columns.forEach((column, i) => {
      const raw = fields[i + 3];
      if (raw === undefined) return;
      const value = Number(raw);
      if (Number.isFinite(value)) out.emit(column.name, column.type, column.help, { device }, value * column.scale);
    });
  }
}
