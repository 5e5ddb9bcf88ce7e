import type { Logger } from '../../../core/log.ts';
import { withRetry } from '../../../core/retry.ts';
import type { MetricsSink, ScrapeBatch } from '../types.ts';
import type { QueueSettings } from './config.ts';
import type { DropReason, SinkMetrics } from './metrics.ts';
import { OutputError } from './output-error.ts';
import { SampleQueue, batchEntries, sliceEntries, type QueuedSlice } from './sample-queue.ts';

/** A request ready to send, and how many samples it carries (those that were skipped excluded). */
export interface PreparedRequest<P> {
  payload: P;
  samples: number;
}

/** A write the receiver took only in part: how many samples it refused, and its answer. */
export interface PartialWrite {
  refused: number;
  error: OutputError;
}

/** What an output does with queued samples: build a request once, send it (maybe several times). */
export interface OutputWriter<P> {
  /** Builds one request from slices; undefined when nothing in them can be sent. Counts skipped samples itself. */
  prepare(slices: readonly QueuedSlice[]): PreparedRequest<P> | undefined;
  /**
   * One attempt; throws an {@link OutputError} that says whether another attempt may succeed, or
   * returns a {@link PartialWrite} when the receiver stored the request except for some samples.
   */
  send(payload: P, signal: AbortSignal): Promise<PartialWrite | undefined>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Options of {@link QueuedSink}. */
export interface QueuedSinkOptions<P> {
  /** The `output` label and the name in logs. */
  name: string;
  writer: OutputWriter<P>;
  settings: QueueSettings;
  /** Samples in one request at most. */
  maxSamplesPerRequest: number;
  metrics: SinkMetrics;
  logger: Logger;
}

/**
 * The part every output shares: `push` puts a batch into a bounded {@link SampleQueue} and returns;
 * one background loop cuts the queue into requests (full ones at once, partial ones after the
 * flush interval), sends them one at a time so the receiver sees each series in time order, and
 * retries retryable failures through core/retry.ts (backoff with jitter, Retry-After honoured).
 * A request that fails for good (4xx) or runs out of attempts is dropped, counted and logged with
 * its reason: nothing is retried forever, and nothing is held beyond the queue and one request.
 */
export class QueuedSink<P> implements MetricsSink {
  readonly name: string;
  private readonly queue: SampleQueue;
  private readonly options: QueuedSinkOptions<P>;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private closing = false;
  private readonly loop: Promise<void>;

  constructor(options: QueuedSinkOptions<P>) {
    this.options = options;
    this.name = options.name;
    const { metrics, settings } = options;
    this.queue = new SampleQueue(settings.queueCapacity, (entries) => this.drop('queue_full', entries));
    metrics.queueCapacity.set({ output: this.name }, settings.queueCapacity);
    metrics.queueSamples.set({ output: this.name }, 0);
    for (const reason of ['queue_full', 'retries_exhausted', 'rejected'] as const)
      metrics.samplesDropped.inc({ output: this.name, reason }, 0);
    metrics.samplesSent.inc({ output: this.name }, 0);
    this.loop = this.run();
  }

  push(batch: ScrapeBatch): void {
    if (this.closing) {
      this.drop('shutdown', batchEntries(batch));
      return;
    }
    this.queue.push(batch);
    this.options.metrics.queueSamples.set({ output: this.name }, this.queue.length);
    this.wake?.();
  }

  async close(signal?: AbortSignal): Promise<void> {
    this.closing = true;
    this.wake?.();
    const onAbort = (): void => this.abort.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.loop;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.drop('shutdown', this.queue.clear());
      this.options.metrics.queueSamples.set({ output: this.name }, 0);
      await this.options.writer.close();
    }
  }

  private drop(reason: DropReason, entries: number): void {
    if (entries > 0) this.options.metrics.samplesDropped.inc({ output: this.name, reason }, entries);
  }

  /** Resolves when a push or close happens, or after `ms`. */
  private waitForWork(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private async run(): Promise<void> {
    const { settings, maxSamplesPerRequest, metrics } = this.options;
    while (!this.abort.signal.aborted) {
      const waiting = this.queue.length;
      if (waiting === 0) {
        if (this.closing) return;
        await this.waitForWork(60_000);
        continue;
      }
      const age = this.queue.oldestAgeMs();
      if (waiting < maxSamplesPerRequest && !this.closing && age < settings.flushIntervalMs) {
        await this.waitForWork(settings.flushIntervalMs - age);
        continue;
      }
      const slices = this.queue.take(maxSamplesPerRequest);
      metrics.queueSamples.set({ output: this.name }, this.queue.length);
      try {
        await this.deliver(slices);
      } catch (err) {
        // deliver handles every failure it knows; anything else is a bug that must not stop the output.
        this.drop('encode_error', sliceEntries(slices));
        this.options.logger.error({ err }, 'Unexpected error while sending samples; dropped them and carrying on.');
      }
    }
  }

  /** Sends one request with retries; counts what was sent or dropped. Never throws. */
  private async deliver(slices: QueuedSlice[]): Promise<void> {
    const { writer, settings, metrics, logger } = this.options;
    const entries = sliceEntries(slices);
    let request: PreparedRequest<P> | undefined;
    try {
      request = writer.prepare(slices);
    } catch (err) {
      this.drop('encode_error', entries);
      logger.error({ err, samples: entries }, 'Cannot encode samples for the output; dropped.');
      return;
    }
    if (request === undefined) return;
    const output = this.name;
    const signal = this.abort.signal;
    const prepared = request;
    try {
      const partial = await withRetry(
        async () => {
          const end = metrics.requestDuration.startTimer({ output });
          try {
            return await writer.send(prepared.payload, signal);
          } catch (error) {
            if (!signal.aborted)
              metrics.writeErrors.inc({ output, reason: error instanceof OutputError ? error.reason : 'connection' });
            throw error;
          } finally {
            end();
          }
        },
        {
          attempts: settings.retry.attempts,
          initialDelayMs: settings.retry.initialBackoffMs,
          maxDelayMs: settings.retry.maxBackoffMs,
          retryable: (error) => !(error instanceof OutputError) || error.retryable,
          retryAfterMs: (error) => (error instanceof OutputError ? error.retryAfterMs : undefined),
          signal,
          onRetry: (error, attempt, delayMs) => {
            // One warning when a request starts failing, then only every tenth attempt: a receiver down for minutes is one story.
            if (attempt === 1 || attempt % 10 === 0)
              logger.warn(
                { err: error, attempt, retryInMs: delayMs, samples: prepared.samples },
                'Write failed; retrying.',
              );
          },
        },
      );
      const refused = Math.min(prepared.samples, partial?.refused ?? 0);
      metrics.samplesSent.inc({ output }, prepared.samples - refused);
      if (partial !== undefined) {
        metrics.writeErrors.inc({ output, reason: partial.error.reason });
        this.drop('rejected', refused);
        logger.warn(
          { err: partial.error, reason: 'rejected', samples: refused },
          'The output refused part of the samples for good; dropped.',
        );
      }
    } catch (error) {
      const reason: DropReason = signal.aborted
        ? 'shutdown'
        : error instanceof OutputError && !error.retryable
          ? 'rejected'
          : 'retries_exhausted';
      this.drop(reason, prepared.samples);
      if (reason !== 'shutdown') {
        logger.warn(
          { err: error, reason, samples: prepared.samples },
          reason === 'rejected'
            ? 'The output refused the samples for good; dropped.'
            : 'The output kept failing; samples dropped after the last attempt.',
        );
      }
    }
  }
}
