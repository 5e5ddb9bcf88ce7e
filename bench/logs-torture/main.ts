// Log shipper torture, full size (the test suite runs a short one): 10 container logs at 20,000
// lines/s for 60 s, 5 rotated like kubelet (rename, gzip, delete beyond 5 files) and 5 by
// copytruncate (logrotate, delaycompress), each at 1 MiB; five kill -9 of the agent at random
// moments (one during the outage), a 10 s sink outage, per-item 429s, mapping errors and P/F
// split messages. Every line carries a unique id; afterwards each id is looked up in the sink.
//
// Runs against the Elasticsearch fake (it injects the 429s, mapping errors and the outage) and,
// when `npm run provision -- elasticsearch` has fetched it, against a real Elasticsearch 9.2 with
// rotation and kill -9 only (nothing injected). Size: WK_TORTURE_SECONDS, WK_TORTURE_RATE.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeElasticsearch } from '../../test/fakes/elasticsearch/server.ts';
import { AgentProcess, writeAgentConfig } from '../../test/unit/logs/support/agent-process.ts';
import { torture, TortureLog, type TortureResult, type TortureSink } from '../../test/unit/logs/support/torture.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';

const seconds = Number(process.env.WK_TORTURE_SECONDS ?? 60);
const rate = Number(process.env.WK_TORTURE_RATE ?? 20_000);
const rotateBytes = Number(process.env.WK_TORTURE_ROTATE_KIB ?? 1024) * 1024;
const sinks = (process.env.WK_TORTURE_SINKS ?? 'fake,real').split(',');
const files = 10;
const lineBytes = 230;
const work = path.join(tmpdir(), 'wk-bench-torture');

function setup(name: string, url: string, prefix: string): { dir: string; agent: AgentProcess; logs: TortureLog[] } {
  const dir = path.join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'pods'), { recursive: true });
  const config = writeAgentConfig(dir, {
    containers: { paths: [path.join(dir, 'pods/*/*/*.log')], startAt: 'beginning' },
    tail: { scanIntervalSeconds: 1, rotatedGraceSeconds: 1 },
    sink: 'elasticsearch',
    elasticsearch: { url, indexPrefix: prefix, initialBackoffMs: 100, maxBackoffMs: 2000 },
    batch: {},
    checkpointIntervalMs: 1000,
  });
  const agent = new AgentProcess(config, path.join(dir, 'agent.log'));
  const logs = Array.from(
    { length: files },
    (_, i) =>
      new TortureLog(
        path.join(dir, `pods/ns_pod-${i}_uid-${i}/app/0.log`),
        `f${i}`,
        i % 2 === 0 ? 'rename' : 'copytruncate',
        lineBytes,
      ),
  );
  return { dir, agent, logs };
}

function deadLettersOf(dir: string): string[] {
  const file = path.join(dir, 'data', 'dead-letter.ndjson');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map(
      (line) =>
        String((JSON.parse((JSON.parse(line) as { document: string }).document) as { message: string }).message).split(
          ' ',
        )[0]!,
    );
}

async function againstFake(): Promise<TortureResult> {
  const fake = await startFakeElasticsearch();
  const { dir, agent, logs } = setup('fake', fake.url, 'torture');
  fake.faults.itemReject = { every: 200, times: 1 };
  fake.faults.mappingError = (source) => String(source.message).includes('BADMAP');
  const sink: TortureSink = {
    messages: () =>
      Promise.resolve(fake.documents('torture-logs-*').map((d) => ({ id: d._id, message: String(d._source.message) }))),
    down: () => fake.stop(),
    up: () => fake.start(),
    resent: () => fake.stats.conflicts,
    deadLettered: () => deadLettersOf(dir),
  };
  try {
    await agent.start();
    return await torture({
      logs,
      agent,
      sink,
      linesPerSecond: rate,
      seconds,
      rotateBytes,
      kills: 5,
      outage: { atSecond: seconds / 3, seconds: 10 },
      splitEvery: 500,
      badEvery: 5000,
      seed: 60,
      settleMs: 300_000,
      log: (line) => process.stdout.write(`  fake: ${line}\n`),
    });
  } finally {
    await agent.kill9();
    await fake.stop();
  }
}

async function againstReal(): Promise<TortureResult | string> {
  const { startElasticsearch } = await import('../../test/env/index.ts');
  let es;
  try {
    es = await startElasticsearch();
  } catch (error) {
    return (error as Error).message.split('\n')[0]!;
  }
  const { Client } = await import('@elastic/elasticsearch');
  const client = new Client({ node: es.url });
  const { dir, agent, logs } = setup('real', es.url, 'torture');
  const sink: TortureSink = {
    async messages() {
      await client.indices.refresh({ index: 'torture-logs-*', allow_no_indices: true, ignore_unavailable: true });
      const out: { id: string; message: string }[] = [];
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
        for (const hit of page.hits.hits) out.push({ id: hit._id!, message: hit._source!.message });
        if (page.hits.hits.length < 10_000) return out;
        after = page.hits.hits.at(-1)!.sort as (string | number)[];
      }
    },
    down: () => Promise.resolve(),
    up: () => Promise.resolve(),
    resent: () => 0,
    deadLettered: () => deadLettersOf(dir),
  };
  try {
    await agent.start();
    return await torture({
      logs,
      agent,
      sink,
      linesPerSecond: rate,
      seconds,
      rotateBytes,
      kills: 5,
      splitEvery: 500,
      badEvery: 0,
      seed: 61,
      settleMs: 300_000,
      log: (line) => process.stdout.write(`  real: ${line}\n`),
    });
  } finally {
    await agent.kill9();
    await client.close();
    await es.stop();
  }
}

function row(name: string, r: TortureResult | string): string {
  if (typeof r === 'string') return `| ${name} | not run: ${r} | | | | | | | | |`;
  return `| ${name} | ${r.sent.toLocaleString('en')} | ${r.arrived.toLocaleString('en')} | ${r.lost} | ${r.duplicates} | ${r.brokenSplits} | ${r.rotations} | ${r.kills} | ${r.resent.toLocaleString('en')} | ${r.seconds.toFixed(0)} |`;
}

const fake = sinks.includes('fake') ? await againstFake() : 'not selected (WK_TORTURE_SINKS)';
process.stdout.write(`fake: ${JSON.stringify(fake)}\n`);
const real = sinks.includes('real') ? await againstReal() : 'not selected (WK_TORTURE_SINKS)';
process.stdout.write(`real: ${JSON.stringify(real)}\n`);
const section = `${machineLine()}.
${files} CRI container logs written at ${rate.toLocaleString('en')} lines/s (${lineBytes} bytes) for ${seconds} s, half rotated like kubelet
(rename, gzip, delete beyond 5 files), half by copytruncate (logrotate \`rotate 4\`, delaycompress), each at ${rotateBytes / 1024} KiB;
five kill -9 of the agent at random moments, each restarted at once; every 500th message split into P/P/F pieces.
Fake: a 10 s outage (connection refused; one kill falls in it), a 429 for every 200th item, mapping errors
for every 5,000th message (dead-lettered). Real: Elasticsearch 9.2 from test/env, nothing injected.
"Resent" counts items answered 409 (already stored): what the kills made the agent send again.

| sink | lines sent | arrived | lost | stored twice | P/F not joined | rotations | kill -9 | resent | seconds |
|---|---|---|---|---|---|---|---|---|---|
${row('fake (faults)', fake)}
${row('real Elasticsearch', real)}

The machine is shared (load average ${loadavg()[0]!.toFixed(0)} at the end of the run); the writer and the fake run in the benchmark process.
Lines count as lost when they had not arrived 300 s after writing stopped.
Reproduce: \`npm run bench -- logs-torture\` (WK_TORTURE_SECONDS, WK_TORTURE_RATE for a smaller run).
`;
process.stdout.write(section);
await writeBenchmarkSection('## Logs: torture (rotation, kill -9, outage), zero loss', section);
