import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every metric of the log shipper; the names are used by alerts and dashboards. */
export interface LogsMetrics {
  linesRead: Counter<'source'>;
  bytesRead: Counter<'source'>;
  parseErrors: Counter<'source' | 'reason'>;
  eventsShipped: Counter<'sink'>;
  bulkDuration: Histogram<'sink'>;
  retries: Counter<'sink' | 'reason'>;
  deadLettered: Counter<'sink' | 'reason'>;
  lagBytes: Gauge<'source'>;
  generationsLost: Counter<'source' | 'reason'>;
  stateFilesCorrupt: Counter<'file'>;
  sinkWriteFailures: Counter<'sink'>;
  sinkFailing: Gauge;
  deadLettersDropped: Counter;
  filesTracked: Gauge<'source'>;
  checkpointAge: Gauge;
  bufferedBytes: Gauge;
  auditQueueBytes: Gauge;
  webhookRequests: Counter<'code'>;
}

/** Creates the log shipper's metrics in the given registry. */
export function createLogsMetrics(registry: Registry): LogsMetrics {
  const registers = [registry];
  return {
    linesRead: new Counter({
      name: 'watchkeeper_logs_lines_read_total',
      help: 'Lines read, by source.',
      labelNames: ['source'],
      registers,
    }),
    bytesRead: new Counter({
      name: 'watchkeeper_logs_bytes_read_total',
      help: 'Bytes read, by source.',
      labelNames: ['source'],
      registers,
    }),
    parseErrors: new Counter({
      name: 'watchkeeper_logs_parse_errors_total',
      help: 'Lines that did not parse, were cut or had invalid UTF-8 (they are still shipped as raw messages).',
      labelNames: ['source', 'reason'],
      registers,
    }),
    eventsShipped: new Counter({
      name: 'watchkeeper_logs_events_shipped_total',
      help: 'Events the sink acknowledged.',
      labelNames: ['sink'],
      registers,
    }),
    bulkDuration: new Histogram({
      name: 'watchkeeper_logs_bulk_duration_seconds',
      help: 'Duration of one request to the sink.',
      labelNames: ['sink'],
      registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    retries: new Counter({
      name: 'watchkeeper_logs_retries_total',
      help: 'Requests or items sent again, by reason.',
      labelNames: ['sink', 'reason'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'watchkeeper_logs_dead_lettered_total',
      help: 'Events that can never be indexed, written to the dead-letter file.',
      labelNames: ['sink', 'reason'],
      registers,
    }),
    lagBytes: new Gauge({
      name: 'watchkeeper_logs_lag_bytes',
      help: 'Bytes of the files being tailed not yet acknowledged by the sink, by source.',
      labelNames: ['source'],
      registers,
    }),
    generationsLost: new Counter({
      name: 'watchkeeper_logs_generations_lost_total',
      help: 'Rotated file generations whose unread rest could not be found any more (copy deleted before it was read).',
      labelNames: ['source', 'reason'],
      registers,
    }),
    sinkWriteFailures: new Counter({
      name: 'watchkeeper_logs_sink_write_failures_total',
      help: 'Batch writes that failed unexpectedly (full disk, a bug) and are retried.',
      labelNames: ['sink'],
      registers,
    }),
    sinkFailing: new Gauge({
      name: 'watchkeeper_logs_sink_failing',
      help: '1 while batch writes keep failing unexpectedly (acknowledgements stall), else 0.',
      registers,
    }),
    deadLettersDropped: new Counter({
      name: 'watchkeeper_logs_dead_letters_dropped_total',
      help: 'Dead letters removed with the oldest dead-letter file when the file count bound was reached.',
      registers,
    }),
    stateFilesCorrupt: new Counter({
      name: 'watchkeeper_logs_state_files_corrupt_total',
      help: 'Checkpoint or queue state files that were truncated or garbage, moved aside; reading restarted from the configured position.',
      labelNames: ['file'],
      registers,
    }),
    filesTracked: new Gauge({
      name: 'watchkeeper_logs_files_tracked',
      help: 'Files being tailed, by source.',
      labelNames: ['source'],
      registers,
    }),
    checkpointAge: new Gauge({
      name: 'watchkeeper_logs_checkpoint_age_seconds',
      help: 'Seconds since checkpoints were last persisted.',
      registers,
    }),
    bufferedBytes: new Gauge({
      name: 'watchkeeper_logs_buffered_bytes',
      help: 'Bytes in batches not yet acknowledged.',
      registers,
    }),
    auditQueueBytes: new Gauge({
      name: 'watchkeeper_logs_audit_queue_bytes',
      help: 'Bytes in the audit webhook on-disk queue.',
      registers,
    }),
    webhookRequests: new Counter({
      name: 'watchkeeper_logs_audit_webhook_requests_total',
      help: 'Audit webhook requests, by answer code.',
      labelNames: ['code'],
      registers,
    }),
  };
}
