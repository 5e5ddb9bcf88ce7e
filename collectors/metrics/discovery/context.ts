import type { KubeClient } from '../../../core/kube/index.ts';
import type { Logger } from '../../../core/log.ts';
import type { CompiledRelabelRule } from '../relabel/relabel.ts';
import type { TargetDefaults } from '../relabel/target.ts';
import type { TargetSource } from '../types.ts';
import type { KubernetesDiscoveryConfig } from './config.ts';
import { createKubernetesSource, type DiscoveryContext } from './factory.ts';
import type { DiscoveryMetrics } from './metrics.ts';
import { RelabelingTargetSource, type TargetOwnership } from './relabeling-source.ts';
import { SharedWatches } from './shared-watches.ts';

/** What a process builds once for all its discovery jobs. */
export interface Discovery extends DiscoveryContext {
  metrics: DiscoveryMetrics;
  /** Stops every shared watch (after the jobs' sources were stopped). */
  stop(): Promise<void>;
}

/** The shared watches of one process, with watch failures logged (debug) and counted. */
export function createDiscovery(options: {
  client: KubeClient;
  logger: Logger;
  metrics: DiscoveryMetrics;
  nodeName?: string;
}): Discovery {
  const log = options.logger.child({ component: 'discovery' });
  const watches = new SharedWatches(options.client, (kind, err, action) => {
    options.metrics.watchErrors.inc({ kind, action });
    log.debug({ err, kind, action }, 'Discovery watch interrupted.');
  });
  return {
    watches,
    metrics: options.metrics,
    ...(options.nodeName ? { nodeName: options.nodeName } : {}),
    stop: () => watches.stop(),
  };
}

/**
 * The source the scrape engine gets for a job with a `kubernetes:` section: discovery, then the job's
 * relabel_configs and (cluster mode) this replica's shard of the kept targets.
 */
export function createDiscoveredJobSource(
  job: string,
  sd: KubernetesDiscoveryConfig,
  discovery: Discovery,
  relabel: { rules: readonly CompiledRelabelRule[]; defaults: TargetDefaults; ownership?: TargetOwnership },
): TargetSource {
  return new RelabelingTargetSource({
    source: createKubernetesSource(job, sd, discovery),
    rules: relabel.rules,
    defaults: relabel.defaults,
    metrics: discovery.metrics,
    ...(relabel.ownership ? { ownership: relabel.ownership } : {}),
  });
}
