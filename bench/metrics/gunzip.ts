// Gunzip cost of a scrape body, by the output chunk size of zlib's stream: the bench target's 100,000-series
// OpenMetrics body, gzipped, streamed through createGunzip in 16 KiB network-sized pieces and read with for await,
// as the scrape client does; median CPU of 7 rounds after a warm-up, sizes interleaved.
//
//   node bench/metrics/gunzip.ts
import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { mixFor, renderExposition } from './exposition.ts';

const body = gzipSync(renderExposition(mixFor(100_000), 1, 'openmetrics'));
const pieces: Buffer[] = [];
for (let at = 0; at < body.length; at += 16_384) pieces.push(body.subarray(at, at + 16_384));

async function gunzip(chunkSize: number | undefined): Promise<number> {
  const stream = Readable.from(pieces).pipe(createGunzip(chunkSize === undefined ? {} : { chunkSize }));
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) total += chunk.length;
  return total;
}

const sizes = [undefined, 64 * 1024, 256 * 1024];
const times = new Map<number | undefined, number[]>(sizes.map((size) => [size, []]));
for (let round = 0; round < 8; round++) {
  for (const size of sizes) {
    const before = process.cpuUsage();
    await gunzip(size);
    const used = process.cpuUsage(before);
    if (round > 0) times.get(size)!.push((used.user + used.system) / 1000);
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
process.stdout.write(`gzipped body ${(body.length / 1e6).toFixed(1)} MB, median CPU per gunzip:\n`);
for (const size of sizes) {
  process.stdout.write(
    `  chunkSize ${size === undefined ? 'default (16 KiB)' : `${size / 1024} KiB`}: ${median(times.get(size)!).toFixed(0)} ms\n`,
  );
}
