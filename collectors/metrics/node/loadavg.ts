import type { NodeEmitter } from './emitter.ts';

/** /proc/loadavg: node_load1, node_load5, node_load15. */
export function emitLoadavg(text: string, out: NodeEmitter): void {
  const [one, five, fifteen] = text.trim().split(/\s+/).map(Number);
  const load = [
    ['node_load1', one, '1m'],
    ['node_load5', five, '5m'],
    ['node_load15', fifteen, '15m'],
  ] as const;
  for (const [name, value, span] of load) {
    if (value !== undefined && Number.isFinite(value)) out.emit(name, 'gauge', `${span} load average.`, {}, value);
  }
}
