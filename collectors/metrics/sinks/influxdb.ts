import { readFileSync } from 'node:fs';
import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import type { Logger } from '../../../core/log.ts';
import { buildInfo } from '../../../core/version.ts';
import type { InfluxdbOutputConfig } from './config.ts';
import { Credential } from './credential.ts';
import { toInfluxLines } from './influx-mapping.ts';
import type { SinkMetrics } from './metrics.ts';
import { statusError, transportError } from './output-error.ts';
import { QueuedSink, type OutputWriter, type PartialWrite, type PreparedRequest } from './queued-sink.ts';
import type { QueuedSlice } from './sample-queue.ts';

/** Bodies larger than this are gzipped (InfluxDB accepts Content-Encoding: gzip on writes). */
const gzipThresholdBytes = 1000;

/**
 * Writes line protocol to InfluxDB's v2 write API (/api/v2/write, ms precision) through the
 * transport of @influxdata/influxdb-client, which brings the Token header, gzip, timeouts and
 * HttpError. Its WriteApi is not used: that has its own buffer, retry buffer and timers, which would
 * hide drops from our counters and retry outside core/retry.ts; the queue and retries here replace them.
 */
export class InfluxdbWriter implements OutputWriter<string> {
  private readonly output: string;
  private readonly metrics: SinkMetrics;
  private readonly client: InfluxDB;
  private readonly path: string;
  private readonly token: Credential;

  constructor(output: string, config: InfluxdbOutputConfig, metrics: SinkMetrics) {
    this.output = output;
    this.metrics = metrics;
    const { tls } = config;
    this.client = new InfluxDB({
      url: config.url,
      timeout: config.timeoutSeconds * 1000,
      headers: { 'User-Agent': `watchkeeper/${buildInfo.version}` },
      transportOptions: {
        ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
        ...(tls.certFile ? { cert: readFileSync(tls.certFile) } : {}),
        ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
        rejectUnauthorized: !tls.insecureSkipVerify,
      },
    });
    const query = new URLSearchParams({ org: config.org, bucket: config.bucket, precision: 'ms' });
    this.path = `/api/v2/write?${query.toString()}`;
    this.token = new Credential(output, config.token, config.tokenFile);
  }

  prepare(slices: readonly QueuedSlice[]): PreparedRequest<string> | undefined {
    const mapped = toInfluxLines(slices);
    if (mapped.nonFinite > 0)
      this.metrics.samplesSkipped.inc({ output: this.output, reason: 'nan_or_inf' }, mapped.nonFinite);
    if (mapped.lines.length === 0) return undefined;
    return { payload: mapped.lines.join('\n'), samples: mapped.samples };
  }

  async send(body: string, signal: AbortSignal): Promise<PartialWrite | undefined> {
    const token = await this.token.read();
    try {
      await this.client.transport.request(this.path, body, {
        method: 'POST',
        signal,
        gzipThreshold: gzipThresholdBytes,
        headers: { 'content-type': 'text/plain; charset=utf-8', ...(token ? { authorization: `Token ${token}` } : {}) },
      });
      return undefined;
    } catch (error) {
      if (error instanceof HttpError) {
        const detail = error.body ?? error.message;
        const retryAfter = error.headers?.['retry-after'];
        const failure = statusError(
          this.output,
          error.statusCode,
          detail,
          typeof retryAfter === 'string' ? retryAfter : undefined,
        );
        // InfluxDB stores the valid lines of a request and names how many it refused (field type
        // conflict, point beyond the retention policy...): those count as refused, one sample per line.
        const partial = /partial write.*dropped=(\d+)/.exec(detail);
        if (partial !== null && !failure.retryable) return { refused: Number(partial[1]), error: failure };
        throw failure;
      }
      throw transportError(this.output, error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Creates the InfluxDB sink: a {@link QueuedSink} around an {@link InfluxdbWriter}. */
export function createInfluxdbSink(
  config: InfluxdbOutputConfig,
  deps: { metrics: SinkMetrics; logger: Logger },
): QueuedSink<string> {
  const name = 'influxdb';
  return new QueuedSink({
    name,
    writer: new InfluxdbWriter(name, config, deps.metrics),
    settings: config,
    maxSamplesPerRequest: config.batchSize,
    metrics: deps.metrics,
    logger: deps.logger.child({ output: name }),
  });
}
