// Writes the benchmark input: CRI lines in the kubelet layout, spread over N files, each line
// unique (file and sequence number) with a message of typical length and variety.
import { existsSync, mkdirSync, openSync, writeSync, closeSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What was generated. */
export interface BenchInput {
  files: string[];
  lines: number;
  bytes: number;
}

const words = [
  'GET',
  'POST',
  '/api/v1/orders',
  'user=42',
  'status=200',
  'latency_ms=13',
  'cache=miss',
  'request completed',
  'connection reset by peer',
  'retrying',
  'level=info',
  'level=warn',
  'trace_id=4bf92f3577b34da6a3ce929d0e0e4736',
  '"quoted"',
  'path=/var/lib/data',
  'bytes=51234',
  'ok',
  'handler=checkout',
  'region=eu-west-1',
  'duration=1.204s',
];

/** Generates (or reuses) `totalBytes` of input in `fileCount` files under dir. */
export function generateInput(dir: string, totalBytes: number, fileCount: number): BenchInput {
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) {
    const known = JSON.parse(readFileSync(manifest, 'utf8')) as BenchInput & { totalBytes: number };
    if (known.totalBytes === totalBytes && known.files.every((f) => existsSync(f))) return known;
  }
  const files: string[] = [];
  let lines = 0;
  let bytes = 0;
  const perFile = Math.ceil(totalBytes / fileCount);
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const start = Date.UTC(2026, 0, 1);
  for (let k = 0; k < fileCount; k++) {
    const podDir = join(dir, 'pods', `bench_load-${k}_00000000-0000-0000-0000-00000000000${k % 10}`, 'app');
    mkdirSync(podDir, { recursive: true });
    const file = join(podDir, '0.log');
    const fd = openSync(file, 'w');
    let written = 0;
    let seq = 0;
    while (written < perFile) {
      let chunk = '';
      while (chunk.length < 4 << 20) {
        const ts = new Date(start + lines).toISOString().replace('Z', `${String(seq % 1_000_000).padStart(6, '0')}Z`);
        let message = `f${k} seq ${seq}`;
        const n = 6 + Math.floor(random() * 14);
        for (let w = 0; w < n; w++) message += ` ${words[Math.floor(random() * words.length)]!}`;
        chunk += `${ts} ${seq % 10 === 0 ? 'stderr' : 'stdout'} F ${message}\n`;
        seq++;
        lines++;
      }
      const buf = Buffer.from(chunk);
      writeSync(fd, buf);
      written += buf.length;
    }
    closeSync(fd);
    bytes += statSync(file).size;
    files.push(file);
  }
  const input = { files, lines, bytes };
  writeFileSync(manifest, JSON.stringify({ ...input, totalBytes }));
  return input;
}
