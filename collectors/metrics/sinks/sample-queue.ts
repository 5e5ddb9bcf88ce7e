import { parseSeriesKey } from '../scrape/series-key.ts';
import type { Sample, ScrapeBatch } from '../types.ts';

/**
 * A run of one batch's entries waiting to be sent: indexes `start` (inclusive) to `end` (exclusive)
 * over the batch's samples followed by its stale series, so a batch can be cut anywhere.
 */
export interface QueuedSlice {
  batch: ScrapeBatch;
  start: number;
  end: number;
}

/** Entries of a batch: its samples, then its stale series. */
export function batchEntries(batch: ScrapeBatch): number {
  return batch.samples.keys.length + batch.stale.length;
}

/**
 * The entry at `index` of a batch as a Sample with its series labels (target labels not merged), and
 * whether it is a stale marker (value NaN). Builds objects: for sinks that need them (InfluxDB), not for remote_write.
 */
export function entryAt(batch: ScrapeBatch, index: number): { sample: Sample; stale: boolean } {
  const { keys, values, timestampsMs } = batch.samples;
  if (index >= keys.length)
    return { sample: { ...parseSeriesKey(batch.stale[index - keys.length]!), value: Number.NaN }, stale: true };
  const sample: Sample = { ...parseSeriesKey(keys[index]!), value: values[index]! };
  const timestampMs = timestampsMs[index]!;
  if (!Number.isNaN(timestampMs)) sample.timestampMs = timestampMs;
  return { sample, stale: false };
}

/** Entries in a list of slices. */
export function sliceEntries(slices: readonly QueuedSlice[]): number {
  let count = 0;
  for (const slice of slices) count += slice.end - slice.start;
  return count;
}

/**
 * The bounded queue of one output, counted in entries (samples and stale markers). It holds
 * references to the scrape batches, not copies. When a push would exceed the capacity the OLDEST
 * entries go first (they are the least useful to a dashboard), reported through `onDrop`.
 */
export class SampleQueue {
  /** Entries held at most. */
  readonly capacity: number;
  private readonly onDrop: (entries: number) => void;
  private readonly now: () => number;
  private readonly slices: (QueuedSlice & { arrivedAt: number })[] = [];
  private queued = 0;

  constructor(capacity: number, onDrop: (entries: number) => void, now: () => number = Date.now) {
    this.capacity = capacity;
    this.onDrop = onDrop;
    this.now = now;
  }

  /** Entries waiting. */
  get length(): number {
    return this.queued;
  }

  /** Milliseconds the oldest waiting entry has waited; 0 when empty. */
  oldestAgeMs(): number {
    const head = this.slices[0];
    return head === undefined ? 0 : this.now() - head.arrivedAt;
  }

  /** Appends a batch, dropping the oldest entries (a new batch's own first ones when it alone overflows). */
  push(batch: ScrapeBatch): void {
    const total = batchEntries(batch);
    if (total === 0) return;
    const start = Math.max(0, total - this.capacity);
    if (start > 0) this.onDrop(start);
    this.slices.push({ batch, start, end: total, arrivedAt: this.now() });
    this.queued += total - start;
    let over = this.queued - this.capacity;
    let dropped = 0;
    while (over > 0) {
      const head = this.slices[0]!;
      const cut = Math.min(over, head.end - head.start);
      head.start += cut;
      over -= cut;
      dropped += cut;
      if (head.start === head.end) this.slices.shift();
    }
    if (dropped > 0) {
      this.queued -= dropped;
      this.onDrop(dropped);
    }
  }

  /** Removes and returns up to `max` of the oldest entries, in order. */
  take(max: number): QueuedSlice[] {
    const taken: QueuedSlice[] = [];
    let room = max;
    while (room > 0 && this.slices.length > 0) {
      const head = this.slices[0]!;
      const count = Math.min(room, head.end - head.start);
      taken.push({ batch: head.batch, start: head.start, end: head.start + count });
      head.start += count;
      room -= count;
      if (head.start === head.end) this.slices.shift();
    }
    this.queued -= max - room;
    return taken;
  }

  /** Empties the queue, returning how many entries it held. */
  clear(): number {
    const count = this.queued;
    this.slices.length = 0;
    this.queued = 0;
    return count;
  }
}
