import type { Registry } from 'prom-client';
import { WatchkeeperError, describeError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/log.ts';
import type { MetricsSink } from '../types.ts';
import { remoteWriteOutputName, type SinksConfig } from './config.ts';
import { createInfluxdbSink } from './influxdb.ts';
import { createSinkMetrics } from './metrics.ts';
import { createRemoteWriteSink } from './remote-write.ts';

/** Runs a sink constructor; a TLS file it cannot read becomes a configuration error naming the output. */
function build<T>(where: string, create: () => T): T {
  try {
    return create();
  } catch (error) {
    throw new WatchkeeperError('config_invalid', `${where}: ${describeError(error)}`, { cause: error });
  }
}

/**
 * Builds the configured outputs: the InfluxDB sink when enabled, and one remote_write sink per
 * receiver. Their metrics go to `registry` (created once here). TLS files are read now, so a missing
 * one fails start-up (exit code 2) naming the output and the file; credential files are read per
 * request (rotation).
 */
export function createSinks(config: SinksConfig, deps: { registry: Registry; logger: Logger }): MetricsSink[] {
  const metrics = createSinkMetrics(deps.registry);
  const logger = deps.logger.child({ component: 'metrics-outputs' });
  const sinks: MetricsSink[] = [];
  if (config.influxdb.enabled)
    sinks.push(build('metrics.sinks.influxdb', () => createInfluxdbSink(config.influxdb, { metrics, logger })));
  for (const output of config.remoteWrite) {
    sinks.push(
      build(`metrics.sinks.remoteWrite (${remoteWriteOutputName(output)})`, () =>
        createRemoteWriteSink(output, { metrics, logger }),
      ),
    );
  }
  return sinks;
}
