import { describe, expect, it } from 'vitest';
import { emitDiskstats } from '../../../collectors/metrics/node/diskstats.ts';
import { NodeEmitter } from '../../../collectors/metrics/node/emitter.ts';
import { parseMounts } from '../../../collectors/metrics/node/filesystem.ts';
import { emitLoadavg } from '../../../collectors/metrics/node/loadavg.ts';
import { emitMeminfo } from '../../../collectors/metrics/node/meminfo.ts';
import { emitNetDev } from '../../../collectors/metrics/node/netdev.ts';
import { emitPressure } from '../../../collectors/metrics/node/pressure.ts';
import { emitProcStat } from '../../../collectors/metrics/node/proc-stat.ts';
import type { FamilyMeta, Sample } from '../../../collectors/metrics/types.ts';

/** Runs one parser and returns `name{labels} value` lines plus the family types seen. */
function collect(run: (out: NodeEmitter) => void): { lines: string[]; types: Record<string, string> } {
  const lines: string[] = [];
  const types: Record<string, string> = {};
  run(
    new NodeEmitter({
      sample(s: Sample, f: FamilyMeta) {
        const labels = Object.entries(s.labels)
          .map(([k, v]) => `${k}="${v}"`)
          .join(',');
        lines.push(`${s.name}${labels ? `{${labels}}` : ''} ${s.value}`);
        types[f.name] = f.type;
      },
    }),
  );
  return { lines, types };
}

describe('node collector parsers', () => {
  it('/proc/stat: per-CPU modes in seconds (USER_HZ 100), guest separately, the aggregate line skipped', () => {
    const { lines, types } = collect((out) =>
      emitProcStat(
        [
          'cpu  300 0 0 0 0 0 0 0 0 0',
          'cpu0 150 1 250 1000 5 0 7 3 40 2',
          'intr 12345 1 2 3',
          'ctxt 999',
          'btime 1700000000',
          'processes 4242',
          'procs_running 3',
          'procs_blocked 1',
          'softirq 1 2',
        ].join('\n'),
        out,
      ),
    );
    expect(lines).toEqual([
      'node_cpu_seconds_total{cpu="0",mode="user"} 1.5',
      'node_cpu_seconds_total{cpu="0",mode="nice"} 0.01',
      'node_cpu_seconds_total{cpu="0",mode="system"} 2.5',
      'node_cpu_seconds_total{cpu="0",mode="idle"} 10',
      'node_cpu_seconds_total{cpu="0",mode="iowait"} 0.05',
      'node_cpu_seconds_total{cpu="0",mode="irq"} 0',
      'node_cpu_seconds_total{cpu="0",mode="softirq"} 0.07',
      'node_cpu_seconds_total{cpu="0",mode="steal"} 0.03',
      'node_cpu_guest_seconds_total{cpu="0",mode="user"} 0.4',
      'node_cpu_guest_seconds_total{cpu="0",mode="nice"} 0.02',
      'node_intr_total 12345',
      'node_context_switches_total 999',
      'node_boot_time_seconds 1700000000',
      'node_forks_total 4242',
      'node_procs_running 3',
      'node_procs_blocked 1',
    ]);
    expect(types.node_cpu_seconds_total).toBe('counter');
    expect(types.node_procs_running).toBe('gauge');
  });

  it('/proc/meminfo: kB to bytes with _bytes, parentheses to underscores, unit-less fields as they are', () => {
    const { lines } = collect((out) =>
      emitMeminfo('MemTotal:       16384 kB\nActive(anon):     10 kB\nHugePages_Total:       4\nbroken line\n', out),
    );
    expect(lines).toEqual([
      'node_memory_MemTotal_bytes 16777216',
      'node_memory_Active_anon_bytes 10240',
      'node_memory_HugePages_Total 4',
    ]);
  });

  it('/proc/loadavg', () => {
    expect(collect((out) => emitLoadavg('0.50 1.25 2.00 3/400 1234\n', out)).lines).toEqual([
      'node_load1 0.5',
      'node_load5 1.25',
      'node_load15 2',
    ]);
  });

  it('/proc/diskstats: sectors to bytes, ms to seconds, partitions excluded, old 14-column kernels', () => {
    const { lines } = collect((out) =>
      emitDiskstats(
        [
          ' 253 0 vda 100 2 2048 1500 50 3 4096 2500 1 3000 4000 7 1 80 90 5 60',
          ' 253 1 vda1 1 1 1 1 1 1 1 1 1 1 1',
          '   8 0 sdb 1 2 3 4 5 6 7 8 9 10 11',
        ].join('\n'),
        /^(h|s|v|xv)d[a-z]\d+$/,
        out,
      ),
    );
    expect(lines.filter((l) => l.includes('vda'))).toEqual([
      'node_disk_reads_completed_total{device="vda"} 100',
      'node_disk_reads_merged_total{device="vda"} 2',
      'node_disk_read_bytes_total{device="vda"} 1048576',
      'node_disk_read_time_seconds_total{device="vda"} 1.5',
      'node_disk_writes_completed_total{device="vda"} 50',
      'node_disk_writes_merged_total{device="vda"} 3',
      'node_disk_written_bytes_total{device="vda"} 2097152',
      'node_disk_write_time_seconds_total{device="vda"} 2.5',
      'node_disk_io_now{device="vda"} 1',
      'node_disk_io_time_seconds_total{device="vda"} 3',
      'node_disk_io_time_weighted_seconds_total{device="vda"} 4',
      'node_disk_discards_completed_total{device="vda"} 7',
      'node_disk_discards_merged_total{device="vda"} 1',
      'node_disk_discarded_sectors_total{device="vda"} 80',
      'node_disk_discard_time_seconds_total{device="vda"} 0.09',
      'node_disk_flush_requests_total{device="vda"} 5',
      'node_disk_flush_requests_time_seconds_total{device="vda"} 0.06',
    ]);
    expect(lines.filter((l) => l.includes('sdb'))).toHaveLength(11);
  });

  it('/proc/net/dev: receive and transmit columns, excluded devices skipped, headers ignored', () => {
    const { lines } = collect((out) =>
      emitNetDev(
        [
          'Inter-|   Receive                                                |  Transmit',
          ' face |bytes    packets errs drop fifo frame compressed multicast|' +
            'bytes    packets errs drop fifo colls carrier compressed',
          '    lo:  100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0',
          '  eth0: 5000 40 1 2 3 4 5 6 7000 50 7 8 9 10 11 12',
        ].join('\n'),
        /^lo$/,
        out,
      ),
    );
    expect(lines).toContain('node_network_receive_bytes_total{device="eth0"} 5000');
    expect(lines).toContain('node_network_receive_multicast_total{device="eth0"} 6');
    expect(lines).toContain('node_network_transmit_colls_total{device="eth0"} 10');
    expect(lines).toContain('node_network_transmit_compressed_total{device="eth0"} 12');
    expect(lines.some((l) => l.includes('"lo"'))).toBe(false);
    expect(lines).toHaveLength(16);
  });

  it('/proc/pressure: some → waiting, full → stalled, in seconds; cpu full not exported', () => {
    const text =
      'some avg10=1.00 avg60=0.50 avg300=0.10 total=2500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n';
    expect(collect((out) => emitPressure('io', text, out)).lines).toEqual([
      'node_pressure_io_waiting_seconds_total 2.5',
      'node_pressure_io_stalled_seconds_total 1',
    ]);
    expect(collect((out) => emitPressure('cpu', text, out)).lines).toEqual([
      'node_pressure_cpu_waiting_seconds_total 2.5',
    ]);
  });

  it('/proc/mounts: octal escapes in paths decoded', () => {
    expect(parseMounts('/dev/sda1 /mnt/my\\040disk ext4 rw,relatime 0 0\n\n')).toEqual([
      { device: '/dev/sda1', mountpoint: '/mnt/my disk', fstype: 'ext4', options: ['rw', 'relatime'] },
    ]);
  });
});
