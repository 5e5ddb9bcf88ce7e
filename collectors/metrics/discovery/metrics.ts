import { Counter, Gauge, type Registry } from 'prom-client';

/** Metric names of discovery, relabeling and sharding; alerts and dashboards import them from here. */
export const discoveryMetricNames = {
  targetsDiscovered: 'watchkeeper_discovery_targets',
  targetsRelabeled: 'watchkeeper_relabel_targets',
  updates: 'watchkeeper_discovery_updates_total',
  watchErrors: 'watchkeeper_discovery_watch_errors_total',
  shardReplicas: 'watchkeeper_shard_replicas',
  shardOrdinal: 'watchkeeper_shard_ordinal',
  shardTargets: 'watchkeeper_shard_targets',
} as const;

/** The metrics of discovery, relabeling and sharding, on the registry passed in. */
export interface DiscoveryMetrics {
  /** Targets the job's source has now, before relabeling. */
  targetsDiscovered: Gauge<'scrape_job'>;
  /** Targets after relabeling now: result kept, dropped (by a keep/drop rule) or invalid (no address...). */
  targetsRelabeled: Gauge<'scrape_job' | 'result'>;
  /** Target set updates received from the source. */
  updates: Counter<'scrape_job'>;
  /** Watch failures discovery recovered from, by collection and action (reconnect, relist). */
  watchErrors: Counter<'kind' | 'action'>;
  /** Replicas the shard assignment counts (1 when not sharded). */
  shardReplicas: Gauge;
  /** This replica's ordinal (0-based). */
  shardOrdinal: Gauge;
  /** Kept targets by owner: this replica (`owned`) or another one (`other`). */
  shardTargets: Gauge<'scrape_job' | 'owner'>;
}

/** Creates the discovery metrics on `registry`. */
export function createDiscoveryMetrics(registry: Registry): DiscoveryMetrics {
  const registers = [registry];
  return {
    targetsDiscovered: new Gauge({
      name: discoveryMetricNames.targetsDiscovered,
      help: 'Targets discovered for the job, before relabeling.',
      labelNames: ['scrape_job'],
      registers,
    }),
    targetsRelabeled: new Gauge({
      name: discoveryMetricNames.targetsRelabeled,
      help: 'Targets of the job after relabeling, by result (kept, dropped, invalid).',
      labelNames: ['scrape_job', 'result'],
      registers,
    }),
    updates: new Counter({
      name: discoveryMetricNames.updates,
      help: "Target set updates received from the job's discovery.",
      labelNames: ['scrape_job'],
      registers,
    }),
    watchErrors: new Counter({
      name: discoveryMetricNames.watchErrors,
      help: 'Kubernetes watch failures discovery recovered from, by collection and action.',
      labelNames: ['kind', 'action'],
      registers,
    }),
    shardReplicas: new Gauge({
      name: discoveryMetricNames.shardReplicas,
      help: 'Replicas sharing the cluster-level targets.',
      registers,
    }),
    shardOrdinal: new Gauge({
      name: discoveryMetricNames.shardOrdinal,
      help: "This replica's shard ordinal (0-based).",
      registers,
    }),
    shardTargets: new Gauge({
      name: discoveryMetricNames.shardTargets,
      help: 'Kept targets of the job by owner: this replica (owned) or another (other).',
      labelNames: ['scrape_job', 'owner'],
      registers,
    }),
  };
}
