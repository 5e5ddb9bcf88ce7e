/** Kubernetes discovery, the relabeling source and sharding, for the scrape engine to plug in. */
export {
  kubernetesDiscoverySchema,
  kubernetesRoles,
  type KubernetesDiscoveryConfig,
  type KubernetesRole,
} from './config.ts';
export { createDiscovery, createDiscoveredJobSource, type Discovery } from './context.ts';
export { createKubernetesSource, type DiscoveryContext } from './factory.ts';
export { createDiscoveryMetrics, discoveryMetricNames, type DiscoveryMetrics } from './metrics.ts';
export { RelabelingTargetSource, type TargetOwnership } from './relabeling-source.ts';
export { SharedWatches } from './shared-watches.ts';
export { shardingConfigSchema, type ShardingConfig } from './shard/config.ts';
export { ShardAssignment } from './shard/assignment.ts';
export { LeaseShardGroup } from './shard/lease-group.ts';
