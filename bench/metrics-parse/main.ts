// Parse benchmark: CPU per sample of watchkeeper's streaming exposition parser on a 100,000-sample
// body, side by side with the best npm peer, parse-prometheus-text-format (text format only; it takes
// the whole body as one string and returns every family), in the same process and run. Ours reads the
// body as 64 KiB byte chunks, as it would from a socket, UTF-8 decoding included. Rounds:
// BENCH_PARSE_ROUNDS (default 7, median reported).
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { ExpositionParser } from '../../collectors/metrics/scrape/parse/parser.ts';
import type { ExpositionFormat } from '../../collectors/metrics/types.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';
import { generateBody } from './generate.ts';

const rounds = Number(process.env.BENCH_PARSE_ROUNDS ?? 7);
const chunkBytes = 64 * 1024;
interface PeerMetric {
  value?: string;
  buckets?: Record<string, string>;
  quantiles?: Record<string, string>;
  count?: string;
  sum?: string;
}
type PeerParse = (text: string) => { metrics: PeerMetric[] }[];
const peer = createRequire(import.meta.url)('parse-prometheus-text-format') as PeerParse;

interface Measure {
  cpuMs: number;
  wallMs: number;
  samples: number;
}

function measure(run: () => number): Measure {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const samples = run();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall, samples };
}

function ours(format: ExpositionFormat, chunks: Buffer[]): number {
  let samples = 0;
  const parser = new ExpositionParser(format, {
    sample: () => {
      samples++;
    },
  });
  for (const chunk of chunks) parser.write(chunk);
  parser.end();
  return samples;
}

/** Values the peer returned: it folds a histogram or summary series into one object with its buckets. */
function theirs(text: string): number {
  let values = 0;
  for (const family of peer(text)) {
    for (const m of family.metrics) {
      values +=
        (m.value === undefined ? 0 : 1) +
        Object.keys(m.buckets ?? m.quantiles ?? {}).length +
        (m.count === undefined ? 0 : 1) +
        (m.sum === undefined ? 0 : 1);
    }
  }
  return values;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function chunked(text: string): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) chunks.push(bytes.subarray(i, i + chunkBytes));
  return chunks;
}

const text = generateBody('text');
const openMetrics = generateBody('openmetrics');
const textChunks = chunked(text.body);
const omChunks = chunked(openMetrics.body);
const runs: Record<string, Measure[]> = { oursText: [], oursOpenMetrics: [], peerText: [] };
// One warm-up round each, then rounds interleaved so both see the same machine load.
ours('text', textChunks);
ours('openmetrics', omChunks);
theirs(text.body);
for (let round = 0; round < rounds; round++) {
  runs.oursText!.push(measure(() => ours('text', textChunks)));
  runs.oursOpenMetrics!.push(measure(() => ours('openmetrics', omChunks)));
  runs.peerText!.push(measure(() => theirs(text.body)));
}
const summary = Object.fromEntries(
  Object.entries(runs).map(([name, list]) => {
    const cpuMs = median(list.map((m) => m.cpuMs));
    const samples = list[0]!.samples;
    return [name, { cpuMs, nsPerSample: (cpuMs * 1e6) / samples, samplesPerSecond: samples / (cpuMs / 1000), samples }];
  }),
);
const oursText = summary.oursText!;
const oursOm = summary.oursOpenMetrics!;
const peerText = summary.peerText!;
if (oursText.samples !== text.samples || oursOm.samples !== openMetrics.samples) {
  throw new Error(`watchkeeper parsed ${oursText.samples}/${oursOm.samples} samples, expected ${text.samples}`);
}
// Per sample of the body for both, so the peer is not charged for values it dropped.
peerText.nsPerSample = (peerText.cpuMs * 1e6) / text.samples;
peerText.samplesPerSecond = text.samples / (peerText.cpuMs / 1000);
const ratio = oursText.cpuMs / peerText.cpuMs;
const row = (name: string, s: typeof oursText): string =>
  `| ${name} | ${s.cpuMs.toFixed(1)} | ${s.nsPerSample.toFixed(0)} | ${(s.samplesPerSecond / 1e6).toFixed(2)} M |`;
const table = [
  '| parser | CPU ms per body (median) | CPU ns per sample | samples/s per core |',
  '|---|---|---|---|',
  row('watchkeeper, text 0.0.4 (64 KiB chunks)', oursText),
  row('watchkeeper, OpenMetrics 1.0 (64 KiB chunks)', oursOm),
  row('parse-prometheus-text-format 1.1.1, text (whole string)', peerText),
];
process.stdout.write(`${table.join('\n')}\nCPU ratio watchkeeper/peer (text): ${ratio.toFixed(2)}\n`);
await writeBenchmarkSection(
  '## Metrics: exposition parsing, watchkeeper vs parse-prometheus-text-format',
  [
    `Run by \`npm run bench -- metrics-parse\` (bench/metrics-parse/main.ts) on ${machineLine()}.`,
    `Body: ${text.samples.toLocaleString('en')} samples (counters, gauges, histograms with 10 buckets, summaries), ` +
      `${(text.body.length / 2 ** 20).toFixed(1)} MiB as text, ` +
      `${(openMetrics.body.length / 2 ** 20).toFixed(1)} MiB as OpenMetrics; ` +
      `median of ${rounds} rounds after a warm-up, both parsers in the same process, rounds interleaved ` +
      `(load average ${loadavg()[0]!.toFixed(1)} on the machine while it ran: ` +
      'absolute numbers vary with it, the ratio much less).',
    '',
    ...table,
    '',
    `**CPU ratio watchkeeper / parse-prometheus-text-format: ${ratio.toFixed(2)}** (below 1 is faster). ` +
      'The peer needs the ' +
      'whole body as one string and returns it all at once; watchkeeper streams from byte chunks (UTF-8 validation and ' +
      'decoding included) and keeps only the current line. The peer also does less: it returns values as strings ' +
      `(no number parsing) and on this body returned ${peerText.samples.toLocaleString('en')} of the ` +
      `${text.samples.toLocaleString('en')} values (it keeps one series per histogram family and drops their labels, ` +
      '_sum and _count), so the ratio flatters it.',
  ].join('\n'),
);
