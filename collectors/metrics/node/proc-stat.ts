import type { NodeEmitter } from './emitter.ts';

/** Kernel clock ticks per second of /proc/stat (USER_HZ, 100 on every Linux architecture node_exporter supports). */
export const userHz = 100;

const cpuModes = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/**
 * /proc/stat: node_cpu_seconds_total{cpu,mode}, node_cpu_guest_seconds_total{cpu,mode}, node_boot_time_seconds,
 * node_context_switches_total, node_forks_total, node_intr_total, node_procs_running, node_procs_blocked.
 * Guest time is also counted in user/nice by the kernel; node_exporter reports it separately too.
 */
export function emitProcStat(text: string, out: NodeEmitter): void {
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const key = fields[0] ?? '';
    if (/^cpu\d+$/.test(key)) {
      const cpu = key.slice(3);
      cpuModes.forEach((mode, i) => {
        const ticks = Number(fields[i + 1]);
        if (Number.isFinite(ticks)) {
          out.emit(
            'node_cpu_seconds_total',
            'counter',
            'Seconds the CPUs spent in each mode.',
            { cpu, mode },
            ticks / userHz,
          );
        }
      });
      const guest = Number(fields[9]);
      const guestNice = Number(fields[10]);
      if (Number.isFinite(guest)) {
        out.emit(
          'node_cpu_guest_seconds_total',
          'counter',
          'Seconds the CPUs spent in guests (VMs) for each mode.',
          { cpu, mode: 'user' },
          guest / userHz,
        );
      }
      if (Number.isFinite(guestNice)) {
        out.emit(
          'node_cpu_guest_seconds_total',
          'counter',
          'Seconds the CPUs spent in guests (VMs) for each mode.',
          { cpu, mode: 'nice' },
          guestNice / userHz,
        );
      }
      continue;
    }
    const value = Number(fields[1]);
    if (!Number.isFinite(value)) continue;
    switch (key) {
      case 'btime':
        out.emit('node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.', {}, value);
        break;
      case 'ctxt':
        out.emit('node_context_switches_total', 'counter', 'Total number of context switches.', {}, value);
        break;
      case 'processes':
        out.emit('node_forks_total', 'counter', 'Total number of forks.', {}, value);
        break;
      case 'intr':
        out.emit('node_intr_total', 'counter', 'Total number of interrupts serviced.', {}, value);
        break;
      case 'procs_running':
        out.emit('node_procs_running', 'gauge', 'Number of processes in runnable state.', {}, value);
        break;
      case 'procs_blocked':
        out.emit('node_procs_blocked', 'gauge', 'Number of processes blocked waiting for I/O to complete.', {}, value);
        break;
    }
  }
}
