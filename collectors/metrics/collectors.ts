import type { Registry } from 'prom-client';
import type { Logger } from '../../core/log.ts';
import type { MetricsConfig } from './config.ts';
import { ScrapeEngine } from './scrape/engine.ts';
import { createSinks } from './sinks/factory.ts';
import { staticJobRelabeling } from './job-relabeling.ts';
import { settingsOfStaticJob } from './scrape/scrape-settings.ts';
import { StaticTargetSource } from './static-source.ts';
import type { MetricsSink } from './types.ts';

/** Options of {@link startMetricsCollectors}. */
export interface MetricsCollectorsOptions {
  config: MetricsConfig;
  logger: Logger;
  registry: Registry;
  /** Replaces the outputs built from `metrics.sinks` (tests). */
  sinks?: readonly MetricsSink[];
}

/** Running metrics collectors. */
export interface MetricsCollectors {
  engine: ScrapeEngine;
  /** Stops scraping, then closes the sinks within the signal's time. */
  stop(signal?: AbortSignal): Promise<void>;
}

/** Builds the outputs and the scrape engine from the `metrics:` configuration and starts every job. */
export async function startMetricsCollectors(options: MetricsCollectorsOptions): Promise<MetricsCollectors> {
  const { config } = options;
  const sinks = options.sinks ?? createSinks(config.sinks, { registry: options.registry, logger: options.logger });
  const engine = new ScrapeEngine({ registry: options.registry, logger: options.logger, limits: config.limits, sinks });
  for (const job of config.jobs) {
    engine.addJob(settingsOfStaticJob(job), new StaticTargetSource(job), staticJobRelabeling(job));
  }
  await engine.start();
  return {
    engine,
    async stop(signal) {
      await engine.stop();
      await Promise.all(sinks.map((sink) => sink.close(signal)));
    },
  };
}
