import type { NodeEmitter } from './emitter.ts';

/** The PSI resources node_exporter reads, and which of their lines it exports. */
const exported: Record<string, { some: string; full?: string }> = {
  cpu: { some: 'node_pressure_cpu_waiting_seconds_total' },
  io: { some: 'node_pressure_io_waiting_seconds_total', full: 'node_pressure_io_stalled_seconds_total' },
  memory: { some: 'node_pressure_memory_waiting_seconds_total', full: 'node_pressure_memory_stalled_seconds_total' },
};

/**
 * One /proc/pressure/<resource> file: `some … total=<µs>` → waiting seconds, `full … total=<µs>` → stalled
 * seconds (node_exporter's names; cpu's `full` line, newer than its collector, is not exported either).
 */
export function emitPressure(resource: 'cpu' | 'io' | 'memory', text: string, out: NodeEmitter): void {
  const names = exported[resource];
  if (!names) return;
  for (const line of text.split('\n')) {
    const m = /^(some|full)\s.*\btotal=(\d+)/.exec(line);
    if (!m) continue;
    const name = m[1] === 'some' ? names.some : names.full;
    if (!name) continue;
    const help =
      m[1] === 'some'
        ? `Total time in seconds that processes have waited for ${resource}.`
        : `Total time in seconds no process could make progress due to ${resource} congestion.`;
    out.emit(name, 'counter', help, {}, Number(m[2]) / 1e6);
  }
}
