// Log shipping benchmark: the same CRI input (default 1 GiB in 10 files) shipped by
// `watchkeeper agent` (a first start with an empty compile cache, then a later start) and by rsyslog
// (imfile + omelasticsearch) into the same ack-at-once bulk endpoint, one after the other in one run.
// Measures wall time until every line was acknowledged, MiB/s, lines/s, CPU seconds (utime+stime from
// /proc) and peak RSS (VmHWM), prints the ratios and rewrites the "Logs" section of docs/benchmarks.md.
// Size: WK_BENCH_LOGS_MIB (default 1024).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startAckEndpoint, type AckEndpoint } from './endpoint.ts';
import { generateInput, type BenchInput } from './generate.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const mib = Number(process.env.WK_BENCH_LOGS_MIB ?? 1024);
const fileCount = 10;
const work = path.join(tmpdir(), 'wk-bench-logs');
const clockTicks = 100;
const nodeOptions = process.env.WK_BENCH_NODE_OPTIONS ?? '--max-semi-space-size=4';

/** Measurements of one contender. */
interface Result {
  name: string;
  seconds: number;
  items: number;
  cpuSeconds: number;
  peakRssMiB: number;
}

function procStats(pid: number): { cpuSeconds: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / clockTicks;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds, peakRssMiB: Number(hwm?.[1] ?? 0) / 1024 };
}

async function waitForItems(
  endpoint: AckEndpoint,
  child: ChildProcess,
  expected: number,
  name: string,
): Promise<number> {
  const started = performance.now();
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    if (endpoint.items >= expected) return (performance.now() - started) / 1000;
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (endpoint.items !== last) {
      last = endpoint.items;
      lastChange = performance.now();
    }
    if (performance.now() - lastChange > 60_000)
      throw new Error(`${name} stalled at ${endpoint.items} of ${expected} items`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/**
 * One run of the agent. `compileCache` is Node's compile cache directory (cli/main.ts enables it): empty for a
 * first start, left from the previous run for a later one.
 */
async function runWatchkeeper(
  endpoint: AckEndpoint,
  input: BenchInput,
  name: string,
  compileCache: string,
): Promise<Result> {
  const dir = path.join(work, 'watchkeeper');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'watchkeeper.yaml');
  writeFileSync(
    config,
    stringify({
      log: { level: 'warn', format: 'json' },
      server: { host: '127.0.0.1', port: 0 },
      logs: {
        dataDir: path.join(dir, 'data'),
        enrichFromApi: false,
        containers: { paths: [path.join(work, 'input', 'pods/*/*/*.log')], startAt: 'beginning' },
        sink: 'elasticsearch',
        elasticsearch: { url: endpoint.url, installTemplate: true },
      },
    }),
  );
  endpoint.reset();
  // The deployment setting (docs/logs.md): a 4 MiB young generation keeps peak memory low.
  const env = {
    ...process.env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${nodeOptions}`.trim(),
    NODE_COMPILE_CACHE: compileCache,
  };
  const child = spawn(path.join(repo, 'node_modules/.bin/node'), ['cli/main.ts', 'agent', '-c', config], {
    cwd: repo,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const seconds = await waitForItems(endpoint, child, input.lines, name);
  const stats = procStats(child.pid!);
  const items = endpoint.items;
  await stopChild(child);
  return { name, seconds, items, ...stats };
}

async function runRsyslog(endpoint: AckEndpoint, input: BenchInput): Promise<Result> {
  const dir = path.join(work, 'rsyslog');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'state'), { recursive: true });
  const conf = path.join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `
global(workDirectory="${path.join(dir, 'state')}" maxMessageSize="64k")
module(load="imfile" mode="inotify")
module(load="omelasticsearch")
main_queue(queue.type="LinkedList" queue.size="200000" queue.dequeueBatchSize="4096")
template(name="doc" type="list" option.jsonf="on") {
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  property(outname="path" name="$!metadata!filename" format="jsonf")
}
ruleset(name="ship" queue.type="LinkedList" queue.size="200000" queue.dequeueBatchSize="4096") {
  action(type="omelasticsearch" server="127.0.0.1" serverport="${endpoint.port}" template="doc"
         searchIndex="bench-rsyslog" bulkmode="on" maxbytes="8m" esVersion.major="8"
         action.resumeRetryCount="-1")
}
${input.files.map((f, i) => imfileInput(f, i)).join('\n')}
`,
  );
  endpoint.reset();
  const child = spawn('/usr/sbin/rsyslogd', ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd.pid')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const seconds = await waitForItems(endpoint, child, input.lines, 'rsyslog');
  const stats = procStats(child.pid!);
  const items = endpoint.items;
  await stopChild(child);
  return { name: 'rsyslog', seconds, items, ...stats };
}

function row(r: Result, input: BenchInput): string {
  const mibs = input.bytes / 1048576 / r.seconds;
  const cells = [
    r.name,
    r.seconds.toFixed(1),
    mibs.toFixed(1),
    Math.round(input.lines / r.seconds).toLocaleString('en'),
    r.cpuSeconds.toFixed(1),
    r.peakRssMiB.toFixed(0),
    r.items.toLocaleString('en'),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** rsyslog's imfile input of one benchmark file. */
function imfileInput(file: string, i: number): string {
  return `input(type="imfile" File="${file}" Tag="bench${i}" addMetadata="on" freshStartTail="off" ruleset="ship")`;
}

async function main(): Promise<void> {
  mkdirSync(work, { recursive: true });
  process.stdout.write(`generating ${mib} MiB of CRI lines in ${fileCount} files...\n`);
  const input = generateInput(path.join(work, 'input'), mib * 1048576, fileCount);
  process.stdout.write(`input: ${input.lines} lines, ${(input.bytes / 1048576).toFixed(0)} MiB\n`);
  const endpoint = await startAckEndpoint();
  try {
    const compileCache = path.join(work, 'compile-cache');
    rmSync(compileCache, { recursive: true, force: true });
    const first = await runWatchkeeper(endpoint, input, 'watchkeeper, first start', compileCache);
    process.stdout.write(`watchkeeper, first start: ${JSON.stringify(first)}\n`);
    const wk = await runWatchkeeper(endpoint, input, 'watchkeeper', compileCache);
    process.stdout.write(`watchkeeper: ${JSON.stringify(wk)}\n`);
    const rs = await runRsyslog(endpoint, input);
    process.stdout.write(`rsyslog: ${JSON.stringify(rs)}\n`);
    const ratio = rs.seconds / wk.seconds;
    const summary =
      `throughput ratio watchkeeper/rsyslog: ${ratio.toFixed(2)}x; ` +
      `CPU ratio: ${(wk.cpuSeconds / rs.cpuSeconds).toFixed(2)}x; ` +
      `RSS ratio: ${(wk.peakRssMiB / rs.peakRssMiB).toFixed(2)}x ` +
      `(first start: ${(rs.seconds / first.seconds).toFixed(2)}x, ` +
      `${(first.cpuSeconds / rs.cpuSeconds).toFixed(2)}x, ${(first.peakRssMiB / rs.peakRssMiB).toFixed(2)}x)`;
    process.stdout.write(`${summary}\n`);
    const section = `${machineLine()}, rsyslog 8.2302 (Debian).
Input: ${input.lines.toLocaleString('en')} CRI lines, ${(input.bytes / 1048576).toFixed(0)} MiB in ${fileCount} files
(page cache warm), read from the beginning.
Sink: one local \`_bulk\` endpoint that acknowledges at once (bench/logs/endpoint.ts), the same for both.
watchkeeper runs with NODE_OPTIONS=\`${nodeOptions}\` (the recommended deployment setting) and parses
CRI, adds path metadata and deterministic ids; rsyslog (imfile + omelasticsearch,
bulk mode) ships the raw line with timestamp and path. Time is until the endpoint has every line.
watchkeeper runs from the checkout (\`node cli/main.ts agent\`) twice: a first start with an empty compile cache
(Node strips the TypeScript types and compiles everything, and keeps the type stripper in memory), then a later
start that loads the cache cli/main.ts enabled (as every restart does; the image runs compiled JavaScript and
never loads the type stripper). The ratios are those of the later start, the first start's in parentheses.

| shipper | seconds | MiB/s | lines/s | CPU s | peak RSS MiB | items received |
|---|---|---|---|---|---|---|
${row(first, input)}
${row(wk, input)}
${row(rs, input)}

${summary}. Goal: ≥ rsyslog, ≥ 50 MiB/s, peak RSS ≤ 150 MiB, zero loss.
Items received ≥ lines means nothing was lost (the run ends when the endpoint has counted every line; more
items than lines are re-sent duplicates). The machine is shared: other work ran at the same time.
Reproduce: \`npm run bench -- logs\` (WK_BENCH_LOGS_MIB=64 for a quick run).
`;
    if (mib >= 1024)
      await writeBenchmarkSection('## Logs: CRI files to a bulk endpoint, watchkeeper vs rsyslog', section);
    else process.stdout.write(section);
  } finally {
    await endpoint.close();
  }
}

await main();
