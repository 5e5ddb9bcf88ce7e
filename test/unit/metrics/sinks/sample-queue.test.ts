import { describe, expect, it } from 'vitest';
import {
  SampleQueue,
  entryAt,
  sliceEntries,
  type QueuedSlice,
} from '../../../../collectors/metrics/sinks/sample-queue.ts';
import { scrapeBatch } from '../../../support/metrics-batch.ts';

/** A batch of `count` gauge samples whose values are first, first+1, ... */
function numbered(first: number, count: number, stale = 0) {
  return scrapeBatch({
    timestampMs: 1_700_000_000_000,
    families: [
      {
        name: 'g',
        type: 'gauge',
        samples: Array.from({ length: count }, (_, i) => ({ labels: { i: String(i) }, value: first + i })),
      },
    ],
    stale: Array.from({ length: stale }, (_, i) => ({ name: 'gone', labels: { i: String(i) }, value: Number.NaN })),
  });
}

/** Values of the taken entries, stale markers as 'stale'. */
function values(slices: QueuedSlice[]): (number | string)[] {
  return slices.flatMap(({ batch, start, end }) =>
    Array.from({ length: end - start }, (_, k) => {
      const { sample, stale } = entryAt(batch, start + k);
      return stale ? 'stale' : sample.value;
    }),
  );
}

describe('SampleQueue', () => {
  it('drops the oldest entries when full, counts them, and never holds more than its capacity', () => {
    const dropped: number[] = [];
    const queue = new SampleQueue(10, (n) => dropped.push(n));
    queue.push(numbered(0, 4));
    queue.push(numbered(100, 4));
    queue.push(numbered(200, 4));
    expect(queue.length).toBe(10);
    expect(dropped).toEqual([2]);
    expect(values(queue.take(100))).toEqual([2, 3, 100, 101, 102, 103, 200, 201, 202, 203]);
    expect(queue.length).toBe(0);
  });

  it('keeps the newest part of a batch larger than the whole queue', () => {
    const dropped: number[] = [];
    const queue = new SampleQueue(3, (n) => dropped.push(n));
    queue.push(numbered(0, 2));
    queue.push(numbered(10, 5));
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(4);
    expect(values(queue.take(10))).toEqual([12, 13, 14]);
  });

  it('takes at most the requested number of entries, cutting a batch where needed, stale markers after samples', () => {
    const queue = new SampleQueue(100, () => undefined);
    queue.push(numbered(0, 3, 2));
    queue.push(numbered(10, 3));
    const first = queue.take(4);
    expect(sliceEntries(first)).toBe(4);
    expect(values(first)).toEqual([0, 1, 2, 'stale']);
    expect(values(queue.take(4))).toEqual(['stale', 10, 11, 12]);
    expect(queue.take(4)).toEqual([]);
  });

  it('reports how long the oldest entry has waited', () => {
    let now = 1000;
    const queue = new SampleQueue(
      100,
      () => undefined,
      () => now,
    );
    expect(queue.oldestAgeMs()).toBe(0);
    queue.push(numbered(0, 2));
    now = 1500;
    queue.push(numbered(0, 2));
    now = 1700;
    expect(queue.oldestAgeMs()).toBe(700);
    queue.take(2);
    expect(queue.oldestAgeMs()).toBe(200);
  });

  it('clear empties the queue and says how much it held', () => {
    const queue = new SampleQueue(100, () => undefined);
    queue.push(numbered(0, 7));
    expect(queue.clear()).toBe(7);
    expect(queue.length).toBe(0);
  });
});
