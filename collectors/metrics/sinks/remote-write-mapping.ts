import type { ProtoLabel, ProtoTimeSeries } from './remote-write-proto.ts';
import { staleNaN } from './remote-write-proto.ts';
import { entryAt, type QueuedSlice } from './sample-queue.ts';

/**
 * Turns queued slices into remote_write series: one series per sample with its labels plus
 * `__name__` (labels with empty values left out), sorted by name as the specification requires; the sample's own timestamp, else the
 * scrape's. A stale entry becomes the staleness marker at the time of the scrape that missed it.
 */
export function toTimeSeries(slices: readonly QueuedSlice[]): ProtoTimeSeries[] {
  const series: ProtoTimeSeries[] = [];
  for (const { batch, start, end } of slices) {
    for (let i = start; i < end; i++) {
      const { sample, stale } = entryAt(batch, i);
      const labels: ProtoLabel[] = [{ name: '__name__', value: sample.name }];
      for (const name in sample.labels) {
        const value = sample.labels[name]!;
        // An empty value means "no such label" in Prometheus's data model.
        if (value !== '') labels.push({ name, value });
      }
      // Byte order, as Prometheus compares label names ('A' < '_' < 'a').
      labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      series.push({
        labels,
        samples: [stale
          ? { value: staleNaN, timestamp: batch.timestampMs }
          : { value: sample.value, timestamp: sample.timestampMs ?? batch.timestampMs }],
      });
    }
  }
  return series;
}
