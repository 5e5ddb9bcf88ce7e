// Log shipper torture, full size (the test suite runs a short one): 10 container logs at 20,000
// lines/s for 60 s, rotated every 1 MiB like kubelet (rename, gzip, delete beyond 5 files) in one
// run and by copytruncate (logrotate `rotate 4`, delaycompress) in another; five kill -9 of the
// agent at random moments (one during the outage), a 10 s sink outage, per-item 429s, mapping
// errors, P/F split messages (some across a rotation). Every line carries a unique id; afterwards
// each id is looked up in the sink, and each lost line is put down to its cause: its generation
// deleted by the rotation while the agent was down (kubelet would have deleted it too), deleted
// while the agent ran and then a kill -9 before it was read (the descriptor died with the
// process), deleted while the agent ran with no kill after (it should have kept it open), or never
// deleted.
//
// WK_TORTURE_VARIANTS=mixed: half the logs renamed, half copytruncated, in one run (the run).
// Four processes, so that no clock depends on another's work: this one (kills, outage, counting),
// the writer and rotator (writer.ts), the endpoint (endpoint.ts: the Elasticsearch fake, which
// injects the outage, 429s and mapping errors) and the agent. With WK_TORTURE_VARIANTS=...,real
// also against a real Elasticsearch 9 from test/env (both rotations, kill -9 only, nothing injected).
// Size: WK_TORTURE_SECONDS, WK_TORTURE_RATE, WK_TORTURE_ROTATE_KIB.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { AgentProcess, writeAgentConfig } from '../../test/unit/logs/support/agent-process.ts';
import {
  faultPlan,
  lossCauses,
  runFaults,
  settle,
  tallyDocuments,
  type DeletedGeneration,
  type Rotation,
  type TortureExpectation,
  type TortureSink,
  type WriteOptions,
} from '../../test/unit/logs/support/torture.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';
import type { EndpointRequest } from './endpoint.ts';
import type { WriterReport, WriterStart } from './writer.ts';

const seconds = Number(process.env.WK_TORTURE_SECONDS ?? 60);
const rate = Number(process.env.WK_TORTURE_RATE ?? 20_000);
const rotateBytes = Number(process.env.WK_TORTURE_ROTATE_KIB ?? 1024) * 1024;
const variants = (process.env.WK_TORTURE_VARIANTS ?? 'rename,copytruncate').split(',');
const settleMs = Number(process.env.WK_TORTURE_SETTLE_SECONDS ?? 300) * 1000;
// A restart takes seconds on a loaded machine; back-to-back kills would only measure how long the agent is down.
const minUpMs = Number(process.env.WK_TORTURE_MIN_UP_SECONDS ?? 3) * 1000;
const files = 10;
const lineBytes = 230;
const splitEvery = 500;
const badEvery = 5000;
const work = path.join(tmpdir(), 'wk-bench-torture');
const here = path.dirname(new URL(import.meta.url).pathname);

/** One run's numbers. */
interface Row {
  name: string;
  sent: number;
  arrived: number;
  lost: number;
  causes: ReturnType<typeof lossCauses>;
  duplicates: number;
  duplicateExamples: string[];
  lostExamples: string[];
  brokenSplits: number;
  bad: number;
  deadLettered: number;
  rotations: number;
  deletedGenerations: number;
  kills: number;
  resent: number | undefined;
  writeSeconds: number;
  seconds: number;
}

function deadLettersOf(dir: string): string[] {
  const file = path.join(dir, 'data', 'dead-letter.ndjson');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const document = (JSON.parse(line) as { document: string }).document;
      return String((JSON.parse(document) as { message: string }).message).split(' ')[0]!;
    });
}

/** A child process answering requests by id. */
class Endpoint {
  readonly child: ChildProcess;
  private next = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();
  readonly url: Promise<string>;

  constructor() {
    this.child = fork(path.join(here, 'endpoint.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.url = new Promise((resolve) => this.waiting.set(0, (url) => resolve(url as string)));
    this.child.on('message', (m: { id: number; result: unknown }) => {
      this.waiting.get(m.id)?.(m.result);
      this.waiting.delete(m.id);
    });
  }

  request<T>(
    request: EndpointRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never,
  ): Promise<T> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, (result) => resolve(result as T));
      this.child.send({ ...request, id });
    });
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

async function realSink(dir: string): Promise<{ sink: TortureSink; url: string; stop(): Promise<void> } | string> {
  const { startElasticsearch } = await import('../../test/env/index.ts');
  let es;
  try {
    es = await startElasticsearch();
  } catch (error) {
    return (error as Error).message.split('\n')[0]!;
  }
  const { Client } = await import('@elastic/elasticsearch');
  const client = new Client({ node: es.url });
  const sink: TortureSink = {
    async tally(expected) {
      await client.indices.refresh({ index: 'torture-logs-*', allow_no_indices: true, ignore_unavailable: true });
      const docs: { id: string; message: string }[] = [];
      let after: (string | number)[] | undefined;
      for (;;) {
        const page = await client.search<{ message: string }>({
          index: 'torture-logs-*',
          size: 10_000,
          sort: ['_doc'],
          _source: ['message'],
          allow_no_indices: true,
          ignore_unavailable: true,
          ...(after ? { search_after: after } : {}),
        });
        for (const hit of page.hits.hits) docs.push({ id: hit._id!, message: hit._source!.message });
        if (page.hits.hits.length < 10_000) return tallyDocuments(expected, docs);
        after = page.hits.hits.at(-1)!.sort as (string | number)[];
      }
    },
    down: () => Promise.resolve(),
    up: () => Promise.resolve(),
    resent: () => Promise.resolve(Number.NaN),
    deadLettered: () => deadLettersOf(dir),
  };
  return {
    sink,
    url: es.url,
    async stop() {
      await client.close();
      await es.stop();
    },
  };
}

async function run(name: string, rotation: Rotation | 'mixed', real: boolean): Promise<Row | string> {
  const dir = path.join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'pods'), { recursive: true });
  const log = (line: string): void => void process.stdout.write(`  ${name}: ${line}\n`);
  let sink: TortureSink;
  let endpoint: Endpoint | undefined;
  let url: string;
  let stopSink: () => Promise<void>;
  if (real) {
    const found = await realSink(dir);
    if (typeof found === 'string') return found;
    ({ sink, url } = found);
    stopSink = () => found.stop();
  } else {
    const e = new Endpoint();
    endpoint = e;
    url = await e.url;
    sink = {
      tally: (expected) => e.request({ cmd: 'tally', expected }),
      down: () => e.request({ cmd: 'down' }),
      up: () => e.request({ cmd: 'up' }),
      resent: () => e.request({ cmd: 'conflicts' }),
      deadLettered: () => deadLettersOf(dir),
    };
    stopSink = () => Promise.resolve(e.stop());
  }
  const config = writeAgentConfig(dir, {
    containers: { paths: [path.join(dir, 'pods/*/*/*.log')], startAt: 'beginning' },
    tail: { scanIntervalSeconds: 1, rotatedGraceSeconds: 1 },
    sink: 'elasticsearch',
    elasticsearch: { url, indexPrefix: 'torture', initialBackoffMs: 100, maxBackoffMs: 2000 },
    batch: {},
    checkpointIntervalMs: 1000,
  });
  const agent = new AgentProcess(config, path.join(dir, 'agent.log'));
  const writer = fork(path.join(here, 'writer.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const deleted = new Map<string, DeletedGeneration[]>();
  let written = 0;
  const done = new Promise<Extract<WriterReport, { type: 'done' }>>((resolve) => {
    writer.on('message', (m: WriterReport) => {
      if (m.type === 'done') resolve(m);
      else if (m.type === 'progress') written = m.written;
      else deleted.set(m.file, [...(deleted.get(m.file) ?? []), m]);
    });
  });
  const write: WriteOptions = {
    linesPerSecond: rate,
    seconds,
    rotateBytes,
    splitEvery,
    badEvery: real ? 0 : badEvery,
    splitAcrossRotation: true,
  };
  const start: WriterStart = {
    files: Array.from({ length: files }, (_, i) => ({
      path: path.join(dir, `pods/ns_pod-${i}_uid-${i}/app/0.log`),
      name: `f${i}`,
      rotation: rotation === 'mixed' ? (i % 2 === 0 ? 'rename' : 'copytruncate') : rotation,
    })),
    lineBytes,
    write,
  };
  try {
    await agent.start();
    const plan = {
      ...faultPlan(real ? 61 : 60, seconds, 5, real ? undefined : { atSecond: seconds / 3, seconds: 10 }),
      minUpMs,
    };
    const started = Date.now();
    writer.send(start);
    // How far behind the agent is: lines written against documents stored, every 5 s.
    const lagTimer = endpoint
      ? setInterval(() => {
          void endpoint.request<number>({ cmd: 'created' }).then((stored) => {
            log(`at ${((Date.now() - started) / 1000).toFixed(0)} s: ${fmt(written)} written, ${fmt(stored)} stored`);
          });
        }, 5000)
      : undefined;
    const [report, downtimes] = await Promise.all([done, runFaults(plan, agent, sink, started, log)]);
    clearInterval(lagTimer);
    log(`writing took ${(report.writeMs / 1000).toFixed(1)} s; waiting for the sink to settle`);
    const expected: TortureExpectation = { files: report.files, splitEvery, badEvery: write.badEvery };
    const settled = await settle(sink, expected, settleMs);
    const { tally } = settled;
    // The raw material for a closer look: every lost id, the downtimes and the deleted generations.
    writeFileSync(
      path.join(dir, 'result.json'),
      JSON.stringify({
        missing: tally.missing,
        duplicates: tally.duplicateExamples,
        broken: tally.brokenExamples,
        downtimes,
        deleted: Object.fromEntries(deleted),
        started,
      }),
    );
    return {
      name,
      sent: settled.sent,
      arrived: settled.sent - tally.missing.length,
      lost: tally.missing.length,
      causes: lossCauses(tally.missing, deleted, downtimes),
      duplicates: tally.duplicates,
      duplicateExamples: tally.duplicateExamples,
      lostExamples: tally.missing.slice(0, 10),
      brokenSplits: tally.brokenSplits,
      bad: settled.bad.size,
      deadLettered: settled.deadLettered,
      rotations: report.files.reduce((n, f) => n + f.rotations, 0),
      deletedGenerations: [...deleted.values()].reduce((n, g) => n + g.length, 0),
      kills: downtimes.length,
      resent: real ? undefined : await sink.resent(),
      writeSeconds: report.writeMs / 1000,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    writer.kill('SIGKILL');
    await agent.kill9();
    await stopSink();
  }
}

const fmt = (n: number): string => n.toLocaleString('en');

function row(label: string, r: Row | string): string {
  if (typeof r === 'string') return `| ${label} | not run: ${r} | | | | | | | | | |`;
  const c = r.causes;
  const cells = [
    label,
    fmt(r.sent),
    fmt(r.arrived),
    fmt(r.lost),
    [c.deletedWhileDown, c.deletedThenKilled, c.deletedWhileUp, c.notDeleted].map(fmt).join(' / '),
    fmt(r.duplicates),
    r.resent === undefined ? '-' : fmt(r.resent),
    r.brokenSplits,
    `${r.deadLettered}/${r.bad}`,
    `${r.rotations} (${r.deletedGenerations} deleted)`,
    `${r.writeSeconds.toFixed(0)} / ${r.seconds.toFixed(0)}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

const header = [
  '| run | lines sent | arrived | lost | lost by cause a / b / c / d | stored twice | resent | P/F not joined |',
  ' dead-lettered | rotations | write / total s |\n|---|---|---|---|---|---|---|---|---|---|---|',
].join('');
const rows: string[] = [];
for (const variant of variants) {
  const label =
    variant === 'real' ? 'real Elasticsearch, both rotations, kill -9 only' : `${variant}, fake with faults`;
  const rotation = variant === 'real' || variant === 'mixed' ? 'mixed' : (variant as Rotation);
  const result = await run(variant, rotation, variant === 'real');
  process.stdout.write(`${variant}: ${JSON.stringify(result)}\n`);
  rows.push(row(label, result));
}
const section = `${machineLine()}, load average ${loadavg()[0]!.toFixed(1)} at the end.
\`npm run bench -- logs-torture\`: ${files} CRI container logs written at ${fmt(rate)} lines/s (${lineBytes} bytes)
for ${seconds} s, rotated at ${rotateBytes / 1024} KiB; five kill -9 of the agent at random moments (one during the
outage; a kill waits until the restarted agent has run ${minUpMs / 1000} s), each restarted at once;
every ${splitEvery}th message split into P/P/F pieces, and at every other rotation one message split across it (P
pieces end the old generation, the F piece starts the new one). The fake (its own process) adds a 10 s outage
(connection refused), a 429 for every 200th item and mapping errors for every ${fmt(badEvery)}th message
(dead-lettered). The writer and rotator run in a process of their own. Lost lines by cause: (a) generation deleted
by the rotation while the agent was down (kubelet would have deleted it too) / (b) deleted while the agent ran, then
a kill -9 before the agent had read it (the descriptor that kept it readable died with the process) / (c) deleted
while the agent ran, no kill after (the shipper's fault) / (d) never deleted (the shipper's fault). Only (c) and
(d) are losses a shipper could have avoided. "Stored twice": documents beyond the first per message id (under any
document id). "Resent": items answered 409 (already stored). Lost = not arrived ${settleMs / 1000} s after writing
stopped.

${header}
${rows.join('\n')}
`;
process.stdout.write(section);
if (process.env.WK_TORTURE_WRITE_DOCS !== '0')
  await writeBenchmarkSection('## Logs: torture (rotation, kill -9, outage), zero loss', section);
