import type { Logger } from '../../../core/log.ts';
import { startLoopbackExpositionServer, type LoopbackExpositionServer } from '../exposition/loopback-server.ts';
import type { StateCollector } from './state-collector.ts';

/**
 * Serves the cluster-state collector on loopback, scraped as job "kube-state-metrics" through the same engine,
 * sharding, relabeling and sinks as every other target (loopback-server.ts).
 */
export function startStateExpositionServer(options: {
  collector: StateCollector;
  logger: Logger;
}): Promise<LoopbackExpositionServer> {
  return startLoopbackExpositionServer({
    name: 'cluster-state',
    logger: options.logger.child({ component: 'state-collector' }),
    collect: async (exposition) => {
      await options.collector.collect(exposition);
    },
  });
}
