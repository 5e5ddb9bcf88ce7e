import type { NodeEmitter } from './emitter.ts';

/**
 * /proc/meminfo as node_exporter names it: `Active(anon):  123 kB` → node_memory_Active_anon_bytes (kB × 1024);
 * fields without a unit keep their name (node_memory_HugePages_Total).
 */
export function emitMeminfo(text: string, out: NodeEmitter): void {
  for (const line of text.split('\n')) {
    const m = /^([^:\s]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!m) continue;
    const key = (m[1] ?? '').replace(/\((.*)\)/, '_$1');
    if (!/^[A-Za-z0-9_]+$/.test(key)) continue;
    const unit = m[3] !== undefined;
    const name = `node_memory_${key}${unit ? '_bytes' : ''}`;
    out.emit(
      name,
      'gauge',
      `Memory information field ${key}${unit ? '_bytes' : ''}.`,
      {},
      Number(m[2]) * (unit ? 1024 : 1),
    );
  }
}
