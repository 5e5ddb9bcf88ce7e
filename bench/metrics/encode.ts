// remote_write encoding cost, protobufjs against the hand-written encoder, in one process:
// 100,000 one-sample series shaped like the benchmark target's, cut into 5,000-sample requests,
// mapped, encoded and snappy-compressed; median CPU of 7 rounds after a warm-up, rounds interleaved.
//
//   node bench/metrics/encode.ts
import { compressSync } from 'snappy';
import { RemoteWriteEncoder } from '../../collectors/metrics/sinks/remote-write-encoder.ts';
import {
  encodeWriteRequest,
  staleNaN,
  type ProtoLabel,
  type ProtoTimeSeries,
} from '../../collectors/metrics/sinks/remote-write-proto.ts';
import { entryAt, type QueuedSlice } from '../../collectors/metrics/sinks/sample-queue.ts';
import { seriesKey } from '../../collectors/metrics/scrape/series-key.ts';
import { batchSampleLabels } from '../../collectors/metrics/target-labels.ts';
import type { Sample, ScrapeBatch } from '../../collectors/metrics/types.ts';

/** The straightforward mapping to protobufjs objects (what the sink did before the encoder). */
function viaProtobufjs(slices: readonly QueuedSlice[]): Uint8Array {
  const series: ProtoTimeSeries[] = [];
  for (const { batch, start, end } of slices) {
    for (let i = start; i < end; i++) {
      const { sample, stale } = entryAt(batch, i);
      const labels: ProtoLabel[] = [{ name: '__name__', value: sample.name }];
      const merged = batchSampleLabels(batch, sample.labels);
      for (const name in merged) if (merged[name] !== '') labels.push({ name, value: merged[name]! });
      labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      series.push({
        labels,
        samples: [
          {
            value: stale ? staleNaN : sample.value,
            timestamp: stale ? batch.timestampMs : (sample.timestampMs ?? batch.timestampMs),
          },
        ],
      });
    }
  }
  return encodeWriteRequest({ timeseries: series });
}

const samples: Sample[] = [];
for (let i = 0; i < 100_000; i++) {
  samples.push({
    name: `bench_requests_${Math.floor(i / 100)}_total`,
    value: i * 3.5,
    labels: {
      namespace: `ns-${i % 20}`,
      pod: `app-${(i * 7919) % 100_000}-x7k2p`,
      container: 'main',
      path: `/api/v1/items/${i % 37}`,
    },
  });
}
const target = { job: 'bench', instance: '127.0.0.1:9100', labels: { job: 'bench', instance: '127.0.0.1:9100' } };
const columns = {
  keys: samples.map((s) => seriesKey(s.name, s.labels)),
  values: samples.map((s) => s.value),
  timestampsMs: samples.map(() => Number.NaN),
};
const batch: ScrapeBatch = {
  target,
  honorLabels: false,
  timestampMs: Date.now(),
  samples: columns,
  families: new Map(),
  stale: [],
};
const requests: QueuedSlice[][] = [];
for (let s = 0; s < samples.length; s += 5000) requests.push([{ batch, start: s, end: s + 5000 }]);

const encoder = new RemoteWriteEncoder();
const contenders = {
  protobufjs: (slices: QueuedSlice[]) => compressSync(Buffer.from(viaProtobufjs(slices))),
  'hand-written': (slices: QueuedSlice[]) => compressSync(encoder.encode(slices)),
};
const times: Record<string, number[]> = { protobufjs: [], 'hand-written': [] };
for (let round = 0; round < 8; round++) {
  for (const [name, encode] of Object.entries(contenders)) {
    const before = process.cpuUsage();
    for (const slices of requests) encode(slices);
    const used = process.cpuUsage(before);
    if (round > 0) times[name]!.push((used.user + used.system) / 1000);
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const [slow, fast] = [median(times.protobufjs!), median(times['hand-written']!)];
process.stdout.write(
  `100,000 series in 20 requests, mapped + encoded + snappy, median CPU:\n` +
    `  protobufjs (reflected encode of objects): ${slow.toFixed(0)} ms (${(slow * 10).toFixed(0)} ns per sample)\n` +
    `  hand-written encoder:                     ${fast.toFixed(0)} ms (${(fast * 10).toFixed(0)} ns per sample)\n` +
    `  ratio ${(slow / fast).toFixed(1)}x\n`,
);
