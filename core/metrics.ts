import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo } from './version.ts';

/** Creates the registry of one watchkeeper process: Node and process metrics plus build info. */
export function createRegistry(mode: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: 'watchkeeper_build_info',
    help: 'Always 1; labels tell the version, Node version and mode of this watchkeeper process.',
    labelNames: ['version', 'node_version', 'mode'],
    registers: [registry],
  });
  info.set({ version: buildInfo.version, node_version: process.version, mode }, 1);
  return registry;
}
