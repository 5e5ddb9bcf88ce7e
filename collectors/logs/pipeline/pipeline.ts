import type { Logger } from '../../../core/log.ts';
import type { LogsConfig } from '../config.ts';
import type { LogsMetrics } from '../metrics.ts';
import type { LogSink } from '../sinks/types.ts';
import type { AckTarget } from './ack.ts';
import { describeError } from '../../../core/errors.ts';
import { withRetry } from '../../../core/retry.ts';
import { Batch } from './batch.ts';

/** Unexpected write failures in a row after which the pipeline reports itself failing. */
const failingAfterAttempts = 3;

/** Options of {@link Pipeline}. */
export interface PipelineOptions {
  sink: LogSink;
  batch: LogsConfig['batch'];
  metrics: LogsMetrics;
  logger: Logger;
  /** Backoff of batches whose write failed unexpectedly (default 0.5 s doubling to 30 s). */
  retry?: { initialDelayMs: number; maxDelayMs: number };
}

/**
 * Batches events written by the sources, sends closed batches to the sink with bounded concurrency
 * and acknowledges their source positions once the sink has them. Sources write into `current`
 * synchronously and call `rotateIfFull()` after each event; before each read they await
 * `capacity()`, which holds them while too many bytes wait for the sink (files are the buffer).
 */
export class Pipeline {
  /** The batch being filled. */
  current: Batch;
  private readonly options: PipelineOptions;
  private readonly queue: Batch[] = [];
  private readonly pool: Batch[] = [];
  private inFlight = 0;
  private buffered = 0;
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  /** Why writes keep failing (unexpected sink errors), while they do. */
  failure: string | undefined;
  private failingSince = 0;
  private readonly timer: NodeJS.Timeout;
  /** Batches kept for reuse: as many as can be buffered at once, so that buffers are not allocated anew. */
  private readonly poolLimit: number;

  constructor(options: PipelineOptions) {
    this.options = options;
    this.poolLimit = Math.ceil(options.batch.maxBufferedBytes / options.batch.maxBytes) + options.batch.concurrency + 2;
    this.current = new Batch(Math.min(options.batch.maxBytes + 65536, 16 << 20));
    this.timer = setInterval(
      () => {
        if (this.current.count > 0 || this.current.marks.size > 0 || this.hasOpenMark()) {
          if (Date.now() - this.current.openedAt >= this.options.batch.maxDelayMs || this.current.openedAt === 0)
            this.rotate();
        }
      },
      Math.max(10, Math.min(options.batch.maxDelayMs, 250)),
    );
    this.timer.unref();
  }

  private hasOpenMark(): boolean {
    // A batch with only position advances (dropped lines) has openedAt 0; seal() tells by marks.
    const probe = this.current;
    probe.seal();
    return probe.marks.size > 0;
  }

  /** Closes the current batch if it reached its size or count bound. */
  rotateIfFull(): void {
    const b = this.current;
    if (b.length >= this.options.batch.maxBytes || b.count >= this.options.batch.maxEvents) this.rotate();
  }

  /** Records a consumed position without an event (e.g. a dropped line). */
  advance(target: AckTarget, position: number): void {
    this.current.advance(target, position);
  }

  /** Closes the current batch (if it holds anything) and queues it for the sink. */
  rotate(): void {
    const batch = this.current;
    batch.seal();
    if (batch.count === 0 && batch.marks.size === 0) return;
    this.current = this.pool.pop() ?? new Batch(Math.min(this.options.batch.maxBytes + 65536, 16 << 20));
    this.buffered += batch.length;
    this.options.metrics.bufferedBytes.set(this.buffered);
    this.queue.push(batch);
    this.pump();
  }

  /** True when sources may read more now. */
  hasRoom(): boolean {
    return this.buffered + this.current.length < this.options.batch.maxBufferedBytes;
  }

  /** Resolves when sources may read more. */
  capacity(): Promise<void> {
    if (this.buffered + this.current.length < this.options.batch.maxBufferedBytes) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.options.batch.concurrency && this.queue.length > 0) {
      const batch = this.queue.shift()!;
      this.inFlight++;
      const holds = [...batch.marks].map(([target, position]) => ({ target, entry: target.hold(position) }));
      void this.deliver(batch).then((delivered) => {
        this.inFlight--;
        if (delivered) for (const { target, entry } of holds) target.settle(entry);
        this.buffered -= batch.length;
        this.options.metrics.bufferedBytes.set(this.buffered);
        if (delivered && this.pool.length < this.poolLimit) {
          batch.reset();
          this.pool.push(batch);
        }
        if (this.buffered + this.current.length < this.options.batch.maxBufferedBytes) {
          const waiters = this.waiters;
          this.waiters = [];
          for (const wake of waiters) wake();
        }
        if (this.inFlight === 0 && this.queue.length === 0) {
          const idle = this.idleWaiters;
          this.idleWaiters = [];
          for (const wake of idle) wake();
        }
        this.pump();
      });
    }
  }

  /**
   * Writes a batch until the sink takes it. The sink retries what it expects to fail (an
   * unreachable server); anything else (a full disk under the directory sink or the dead-letter
   * file, a bug) is retried here with backoff, so acknowledgements never stop for good. While
   * writes keep failing, `failure` says why (for /readyz) and the failing gauge is 1.
   */
  private async deliver(batch: Batch): Promise<boolean> {
    if (batch.count === 0) return true;
    const { metrics, logger, sink } = this.options;
    try {
      await withRetry(() => sink.write(batch, this.abort.signal), {
        attempts: Number.POSITIVE_INFINITY,
        initialDelayMs: 500,
        maxDelayMs: 30_000,
        ...this.options.retry,
        signal: this.abort.signal,
        retryable: () => !this.abort.signal.aborted,
        onRetry: (error, attempt, delayMs) => {
          metrics.sinkWriteFailures.inc({ sink: sink.name });
          if (attempt >= failingAfterAttempts) {
            this.failure = `sink ${sink.name} failing since ${new Date((this.failingSince ||= Date.now())).toISOString()}: ${describeError(error)}`;
            metrics.sinkFailing.set(1);
          }
          if (attempt === 1 || attempt % 10 === 0)
            logger.error(
              { err: error, attempt, retryInMs: delayMs },
              'Sink write failed; the batch is kept and retried.',
            );
        },
      });
      if (this.failure) logger.info('Sink writes succeed again.');
      this.failure = undefined;
      this.failingSince = 0;
      metrics.sinkFailing.set(0);
      return true;
    } catch (error) {
      if (!this.abort.signal.aborted)
        logger.error({ err: error }, 'Sink write failed; the batch will be read again after restart.');
      return false;
    }
  }

  /** Sends what is buffered and waits for it up to `timeoutMs`, then aborts what is still in flight. */
  async stop(timeoutMs: number): Promise<void> {
    clearInterval(this.timer);
    this.rotate();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.idle(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.abort.abort(new Error('pipeline stopped'));
    await this.options.sink.close();
  }
}
