import type { NodeEmitter } from './emitter.ts';

const receive = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast'] as const;
const transmit = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'colls', 'carrier', 'compressed'] as const;

/** /proc/net/dev: node_network_{receive,transmit}_<field>_total{device}; devices matching `exclude` are skipped. */
export function emitNetDev(text: string, exclude: RegExp | undefined, out: NodeEmitter): void {
  for (const line of text.split('\n')) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const device = m[1] ?? '';
    if (exclude?.test(device)) continue;
    const values = (m[2] ?? '').trim().split(/\s+/).map(Number);
    if (values.length < 16 || values.some((v) => !Number.isFinite(v))) continue;
    receive.forEach((field, i) => {
      out.emit(
        `node_network_receive_${field}_total`,
        'counter',
        `Network device statistic receive_${field}.`,
        { device },
        values[i] ?? 0,
      );
    });
    transmit.forEach((field, i) => {
      out.emit(
        `node_network_transmit_${field}_total`,
        'counter',
        `Network device statistic transmit_${field}.`,
        { device },
        values[i + 8] ?? 0,
      );
    });
  }
}
