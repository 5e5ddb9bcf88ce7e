import type { Registry } from 'prom-client';
import type { Logger } from '../../../core/log.ts';
import type { MetricsSink } from '../types.ts';
import type { SinksConfig } from './config.ts';
import { createInfluxdbSink } from './influxdb.ts';
import { createSinkMetrics } from './metrics.ts';
import { createRemoteWriteSink } from './remote-write.ts';

/**
 * Builds the configured outputs: the InfluxDB sink when enabled, and one remote_write sink per
 * receiver. Their metrics go to `registry` (created once here). TLS files are read now, so a missing
 * one fails start-up with its path; credential files are read per request (rotation).
 */
export function createSinks(config: SinksConfig, deps: { registry: Registry; logger: Logger }): MetricsSink[] {
  const metrics = createSinkMetrics(deps.registry);
  const logger = deps.logger.child({ component: 'metrics-outputs' });
  const sinks: MetricsSink[] = [];
  if (config.influxdb.enabled) sinks.push(createInfluxdbSink(config.influxdb, { metrics, logger }));
  for (const output of config.remoteWrite) sinks.push(createRemoteWriteSink(output, { metrics, logger }));
  return sinks;
}
