import type { Batch } from '../pipeline/batch.ts';

/**
 * Where batches go. Unlike a plain request/response sink, `write` owns retries: it resolves once
 * every item of the batch is either stored or dead-lettered (retrying failed items only, with
 * backoff), and rejects only when the signal aborts. A resolved write is the acknowledgement that
 * lets checkpoints move.
 */
export interface LogSink {
  /** Name used as the `sink` metric label. */
  readonly name: string;
  /** Prepares the sink (e.g. installs index templates); may retry in the background. */
  start(signal: AbortSignal): Promise<void>;
  write(batch: Batch, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
