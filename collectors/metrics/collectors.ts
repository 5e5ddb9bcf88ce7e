import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { KubeClient } from '../../core/kube/index.ts';
import type { Logger } from '../../core/log.ts';
import { durationMs } from './duration.ts';
import { nodeCollectorJob, scrapeJobSchema, type MetricsConfig, type StaticJobConfig } from './config.ts';
import { createDiscovery, createDiscoveredJobSource, type Discovery } from './discovery/context.ts';
import { RelabelingTargetSource } from './discovery/relabeling-source.ts';
import { createDiscoveryMetrics } from './discovery/metrics.ts';
import { ShardAssignment } from './discovery/shard/assignment.ts';
import { LeaseShardGroup } from './discovery/shard/lease-group.ts';
import { ScrapeEngine } from './scrape/engine.ts';
import { createSinks } from './sinks/factory.ts';
import { jobTargetDefaults, staticJobRelabeling } from './job-relabeling.ts';
import { NodeCollector } from './node/node-collector.ts';
import type { LoopbackExpositionServer } from './exposition/loopback-server.ts';
import { startNodeExpositionServer } from './node/node-exposition-server.ts';
import { NodeResourcesCollector } from './node/node-resources-collector.ts';
import { compileRelabelRules } from './relabel/relabel.ts';
import { stateJob } from './state/config.ts';
import { createStateMetrics } from './state/metrics.ts';
import { stateTargetOwnership } from './state/shard-ownership.ts';
import { StateCollector } from './state/state-collector.ts';
import { startStateExpositionServer } from './state/state-exposition-server.ts';
import { settingsOfStaticJob } from './scrape/scrape-settings.ts';
import { StaticTargetSource } from './static-source.ts';
import type { MetricsSink } from './types.ts';

/** Options of {@link startMetricsCollectors}. */
export interface MetricsCollectorsOptions {
  config: MetricsConfig;
  logger: Logger;
  registry: Registry;
  /** agent: also the built-in node collector (metrics.node); collector: also sharding (metrics.sharding). */
  mode: 'agent' | 'collector';
  /** The API client for kubernetes jobs, node resources and sharding; asked for only when one of them is used. */
  kubeClient?: () => Promise<KubeClient>;
  /** This node's name (NODE_NAME from the downward API): ownNode jobs and the node's kube_node_* resources. */
  nodeName?: string;
  /**
   * At most this long, on stop, waiting for a shard plan without this replica before leaving the group anyway
   * (the process's shutdown budget); default: graceSeconds + 3 renewals, which leaves without a gap.
   */
  leaveTimeoutMs?: number;
  /** Replaces the outputs built from `metrics.sinks` (tests). */
  sinks?: readonly MetricsSink[];
}

/** Running metrics collectors. */
export interface MetricsCollectors {
  engine: ScrapeEngine;
  /** Leaves the shard group (without dropping a target), stops scraping, then closes the sinks within the signal. */
  stop(signal?: AbortSignal): Promise<void>;
}

/** What a process started besides the engine, stopped in reverse order. */
interface Parts {
  discovery?: Discovery;
  group?: LeaseShardGroup;
  assignment?: ShardAssignment;
  resources?: NodeResourcesCollector;
  nodeServer?: LoopbackExpositionServer;
  state?: StateCollector;
  stateServer?: LoopbackExpositionServer;
}

/**
 * Builds the outputs and the scrape engine from the `metrics:` configuration and starts every job: static
 * targets, Kubernetes discovery (one set of shared watches per process, sharded among replicas in collector mode)
 * and, in the agent, the built-in node collector as the static target of job `node`.
 */
export async function startMetricsCollectors(options: MetricsCollectorsOptions): Promise<MetricsCollectors> {
  const { config, logger, registry } = options;
  const sinks = options.sinks ?? createSinks(config.sinks, { registry, logger });
  const engine = new ScrapeEngine({ registry, logger, limits: config.limits, sinks });
  const parts: Parts = {};
  const stopParts = async () => {
    const { graceSeconds, renewSeconds } = config.sharding;
    await parts.group?.stop(Math.min(options.leaveTimeoutMs ?? Infinity, (graceSeconds + 3 * renewSeconds) * 1000));
    await engine.stop();
    await parts.resources?.stop();
    await parts.nodeServer?.stop();
    await parts.stateServer?.stop();
    await parts.state?.stop();
    parts.assignment?.stop();
    await parts.discovery?.stop();
  };
  try {
    await startParts(options, engine, parts);
    await engine.start();
  } catch (error) {
    await stopParts().catch(() => undefined);
    throw error;
  }
  return {
    engine,
    async stop(signal) {
      await stopParts();
      await Promise.all(sinks.map((sink) => sink.close(signal)));
    },
  };
}

/** Creates discovery, the shard group and the node collector as configured, and adds every job to the engine. */
async function startParts(options: MetricsCollectorsOptions, engine: ScrapeEngine, parts: Parts): Promise<void> {
  const { config, logger, mode, nodeName } = options;
  const discoveryJobs = config.jobs.filter((job) => job.kubernetes !== undefined);
  const sharding = mode === 'collector' && config.sharding.enabled;
  const nodeResources = mode === 'agent' && config.node.enabled && nodeName !== undefined;
  const state = mode === 'collector' && config.state.enabled;
  let client: KubeClient | undefined;
  const needApi = [
    ...(discoveryJobs.length > 0 ? [`the kubernetes jobs (${discoveryJobs.map((j) => j.job).join(', ')})`] : []),
    ...(sharding ? ['metrics.sharding'] : []),
    ...(nodeResources ? ["the node's resources (metrics.node with NODE_NAME)"] : []),
    ...(state ? ['metrics.state (on by default in collector mode; metrics.state.enabled: false turns it off)'] : []),
  ];
  if (needApi.length > 0) {
    try {
      if (!options.kubeClient) throw new Error('no Kubernetes client was given');
      client = await options.kubeClient();
    } catch (error) {
      const verb = needApi.length === 1 ? 'needs' : 'need';
      throw new Error(`metrics: ${needApi.join(', ')} ${verb} the Kubernetes API: ${(error as Error).message}`, {
        cause: error,
      });
    }
    parts.discovery = createDiscovery({
      client,
      logger,
      metrics: createDiscoveryMetrics(options.registry),
      ...(nodeName ? { nodeName } : {}),
    });
  }
  if (sharding && client && parts.discovery) {
    const s = config.sharding;
    const identity = s.identity ?? (process.env.POD_NAME || hostname());
    parts.assignment = new ShardAssignment({
      identity,
      strategy: s.strategy,
      keyLabel: s.key,
      metrics: parts.discovery.metrics,
    });
    const log = logger.child({ component: 'shard-group' });
    parts.group = new LeaseShardGroup({
      client,
      namespace: s.namespace,
      group: s.group,
      identity,
      assignment: parts.assignment,
      leaseDurationMs: s.leaseDurationSeconds * 1000,
      renewMs: s.renewSeconds * 1000,
      graceMs: s.graceSeconds * 1000,
      onError: (err) => {
        log.warn({ err }, 'Shard group: API request failed; retrying.');
      },
    });
    // Before the jobs: a replica learns the plan before it decides which targets are its own.
    await parts.group.start();
  }
  for (const job of config.jobs) addJob(engine, job, parts);
  if (mode === 'agent' && config.node.enabled) await addNodeCollectorJob(options, engine, parts);
  if (state) await addStateCollectorJob(options, engine, parts);
}

/** Adds one configured job: static targets, or discovery whose source already relabels (and shards) its targets. */
function addJob(engine: ScrapeEngine, job: StaticJobConfig, parts: Parts): void {
  const relabeling = staticJobRelabeling(job);
  if (!job.kubernetes || !parts.discovery) {
    engine.addJob(settingsOfStaticJob(job), new StaticTargetSource(job), relabeling);
    return;
  }
  const ownership = job.shard && !job.kubernetes.ownNode ? parts.assignment : undefined;
  const source = createDiscoveredJobSource(job.job, job.kubernetes, parts.discovery, {
    rules: compileRelabelRules(job.relabelConfigs),
    defaults: jobTargetDefaults(job),
    ...(ownership ? { ownership } : {}),
  });
  engine.addJob(settingsOfStaticJob(job), source, relabeling.sample ? { sample: relabeling.sample } : {});
}

/**
 * The agent's built-in node collector, served in the text format on a loopback port and scraped as a static
 * target of job `node`: it reaches /metrics and the sinks through the same pipeline as every scraped target,
 * and the engine needs no special case for it. The text round trip is cheap at ~200 samples per collection
 * (measured beside startNodeExpositionServer).
 */
async function addNodeCollectorJob(options: MetricsCollectorsOptions, engine: ScrapeEngine, parts: Parts) {
  const { config, nodeName } = options;
  if (nodeName && parts.discovery) {
    parts.resources = new NodeResourcesCollector(parts.discovery.watches, nodeName);
    await parts.resources.start();
  }
  parts.nodeServer = await startNodeExpositionServer({
    collector: new NodeCollector(config.node),
    logger: options.logger,
    ...(parts.resources ? { resources: parts.resources } : {}),
  });
  const intervalMs = durationMs(config.node.interval);
  // instance names the node (as kube_node_* and the kubelet's targets do), not the random loopback port.
  const job = scrapeJobSchema.parse({
    job: nodeCollectorJob,
    targets: [parts.nodeServer.address],
    interval: config.node.interval,
    timeout: intervalMs <= 10_000 ? config.node.interval : '10s',
    relabelConfigs: [{ target_label: 'instance', replacement: nodeName ?? hostname() }],
  });
  engine.addJob(settingsOfStaticJob(job), new StaticTargetSource(job), staticJobRelabeling(job));
}

/**
 * The collector's cluster-state series, served on loopback and scraped as job "kube-state-metrics" with
 * honor_labels (its namespace, pod, node and job_name labels are the objects', as with kube-state-metrics). Every
 * replica watches (a replica taking over has its cache ready), but the target goes through the shard assignment
 * like a discovered one, keyed by the job name instead of the replica's own loopback address, so that exactly one
 * replica scrapes it, and the scrape moves with the shard plan when replicas come and go. Without sharding every
 * replica scrapes it: run one replica then.
 */
async function addStateCollectorJob(options: MetricsCollectorsOptions, engine: ScrapeEngine, parts: Parts) {
  const { config, logger, registry } = options;
  if (!parts.discovery) throw new Error('metrics.state needs API access');
  parts.state = new StateCollector({
    watches: parts.discovery.watches,
    resources: config.state.resources,
    metrics: createStateMetrics(registry),
    logger,
  });
  parts.state.start();
  parts.stateServer = await startStateExpositionServer({ collector: parts.state, logger });
  const intervalMs = durationMs(config.state.interval);
  const job = scrapeJobSchema.parse({
    job: stateJob,
    targets: [parts.stateServer.address],
    interval: config.state.interval,
    timeout: intervalMs <= 10_000 ? config.state.interval : '10s',
    honorLabels: true,
    // instance names the job, not the replica's random loopback port: the series do not change with the owner.
    relabelConfigs: [{ target_label: 'instance', replacement: stateJob }],
  });
  const ownership = parts.assignment ? stateTargetOwnership(parts.assignment) : undefined;
  const source = new RelabelingTargetSource({
    source: new StaticTargetSource(job),
    rules: compileRelabelRules(job.relabelConfigs),
    defaults: jobTargetDefaults(job),
    metrics: parts.discovery.metrics,
    ...(ownership ? { ownership } : {}),
  });
  const relabeling = staticJobRelabeling(job);
  engine.addJob(settingsOfStaticJob(job), source, relabeling.sample ? { sample: relabeling.sample } : {});
}
