import type { Logger } from '../../../core/log.ts';
import { startLoopbackExpositionServer, type LoopbackExpositionServer } from '../exposition/loopback-server.ts';
import type { NodeCollector } from './node-collector.ts';
import type { NodeResourcesCollector } from './node-resources-collector.ts';

/** Options of {@link startNodeExpositionServer}. */
export interface NodeExpositionServerOptions {
  collector: NodeCollector;
  /** Node capacity, allocatable and pod requests (the agent, when NODE_NAME is set). */
  resources?: NodeResourcesCollector;
  logger: Logger;
}

/**
 * Serves the built-in node collector (and the node's resources from the API) on loopback, for the agent to scrape
 * as a static target (loopback-server.ts says why a server and what it costs).
 */
export function startNodeExpositionServer(options: NodeExpositionServerOptions): Promise<LoopbackExpositionServer> {
  const log = options.logger.child({ component: 'node-collector' });
  return startLoopbackExpositionServer({
    name: 'node',
    logger: log,
    collect: async (exposition) => {
      const result = await options.collector.collect(exposition);
      for (const { collector, error } of result.failed) log.debug({ collector, error }, 'Node collector part failed.');
      options.resources?.collect(exposition);
    },
  });
}
