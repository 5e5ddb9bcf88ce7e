import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metric names of the collectors' outputs (sinks); alerts and dashboards import them from here. */
export const sinkMetricNames = {
  samplesSent: 'watchkeeper_metrics_output_samples_sent_total',
  writeErrors: 'watchkeeper_metrics_output_write_errors_total',
  samplesDropped: 'watchkeeper_metrics_output_samples_dropped_total',
  samplesSkipped: 'watchkeeper_metrics_output_samples_skipped_total',
  queueSamples: 'watchkeeper_metrics_output_queue_samples',
  queueCapacity: 'watchkeeper_metrics_output_queue_capacity_samples',
  requestDuration: 'watchkeeper_metrics_output_request_duration_seconds',
} as const;

/**
 * Why samples were dropped (the `reason` label of {@link SinkMetrics.samplesDropped}): the queue was
 * full (the oldest go), a request kept failing with retryable errors, the receiver refused it for
 * good (4xx), it could not be encoded, or the process stopped before they were sent.
 */
export type DropReason = 'queue_full' | 'retries_exhausted' | 'rejected' | 'encode_error' | 'shutdown';

/** Why samples were skipped by design (the `reason` label of {@link SinkMetrics.samplesSkipped}). */
export type SkipReason = 'nan_or_inf';

/** Every self-metric of the outputs; the `output` label is the sink's name. */
export interface SinkMetrics {
  samplesSent: Counter<'output'>;
  /** Failed attempts, by reason: status_<code>, connection, timeout, tls, credentials. */
  writeErrors: Counter<'output' | 'reason'>;
  samplesDropped: Counter<'output' | 'reason'>;
  samplesSkipped: Counter<'output' | 'reason'>;
  queueSamples: Gauge<'output'>;
  queueCapacity: Gauge<'output'>;
  requestDuration: Histogram<'output'>;
}

/** Creates the outputs' metrics in the given registry (once per registry; every sink shares them). */
export function createSinkMetrics(registry: Registry): SinkMetrics {
  const registers = [registry];
  const n = sinkMetricNames;
  const output = ['output'] as const;
  return {
    samplesSent: new Counter({
      name: n.samplesSent,
      help: 'Samples the output acknowledged.',
      labelNames: output,
      registers,
    }),
    writeErrors: new Counter({
      name: n.writeErrors,
      help: 'Write attempts that failed, by output and reason (status_<code>, connection, timeout, tls, credentials).',
      labelNames: ['output', 'reason'],
      registers,
    }),
    samplesDropped: new Counter({
      name: n.samplesDropped,
      help: 'Samples never delivered, by output and reason (queue_full, retries_exhausted, rejected, encode_error, shutdown).',
      labelNames: ['output', 'reason'],
      registers,
    }),
    samplesSkipped: new Counter({
      name: n.samplesSkipped,
      help: 'Samples the output cannot represent, skipped by design (InfluxDB: NaN and ±Inf values).',
      labelNames: ['output', 'reason'],
      registers,
    }),
    queueSamples: new Gauge({
      name: n.queueSamples,
      help: "Samples waiting in the output's queue.",
      labelNames: output,
      registers,
    }),
    queueCapacity: new Gauge({
      name: n.queueCapacity,
      help: "Samples the output's queue holds at most.",
      labelNames: output,
      registers,
    }),
    requestDuration: new Histogram({
      name: n.requestDuration,
      help: 'Duration of one write request (attempt), by output.',
      labelNames: output,
      registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
  };
}
