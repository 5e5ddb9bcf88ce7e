// Audit investigations benchmark: a day of a busy cluster's audit events (WK_BENCH_AUDIT_EVENTS,
// default 1,000,000) written in the directory sink's format and bulk-loaded into a real
// Elasticsearch (test/env). Each question is answered by watchkeeper (the library the CLI calls)
// and by a peer in the same run: grep + jq over the NDJSON files, and a hand-written
// Elasticsearch query (a search, or an aggregation for `user`). Median of 3 runs each; prints the
// ratios and rewrites the "Audit investigations" section of docs/benchmarks.md.
import { execFile } from 'node:child_process';
import { createReadStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { history } from '../../audit/questions/history.ts';
import { suspicious } from '../../audit/questions/suspicious.ts';
import { userActivity } from '../../audit/questions/user.ts';
import { who } from '../../audit/questions/who.ts';
import type { AuditSource } from '../../audit/source.ts';
import { DirectoryAuditSource } from '../../audit/sources/directory.ts';
import { ElasticsearchAuditSource } from '../../audit/sources/elasticsearch.ts';
import { indexTemplates } from '../../collectors/logs/sinks/elasticsearch/templates.ts';
import { startElasticsearch } from '../../test/env/index.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';
import { generateDay, type GeneratedDay } from './generate.ts';

const total = Number(process.env.WK_BENCH_AUDIT_EVENTS ?? 1_000_000);
const runs = 3;
const work = path.join(tmpdir(), 'wk-bench-audit');
const sh = promisify(execFile);

/** Wall seconds, and CPU seconds where they can be told (this process's, or a peer pipeline's as `times` reports them). */
interface Timing {
  wall: number;
  cpu?: number;
}

/** Median by wall time of 3 runs; CPU seconds from this process ('process'), from what the run returns ('returned'), or none. */
async function median(run: () => Promise<unknown>, cpu: 'process' | 'returned' | 'none'): Promise<Timing> {
  const timings: Timing[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const result = await run();
    const used = process.cpuUsage(cpu0);
    const seconds =
      cpu === 'process' ? (used.user + used.system) / 1e6 : cpu === 'returned' ? Number(result) : undefined;
    timings.push({ wall: (performance.now() - start) / 1000, ...(seconds !== undefined ? { cpu: seconds } : {}) });
  }
  return timings.sort((a, b) => a.wall - b.wall)[Math.floor(runs / 2)]!;
}

/** Runs a shell pipeline and returns the CPU seconds (user + system) of its processes, from bash's `times`. */
async function pipelineCpu(pipeline: string): Promise<number> {
  const { stdout } = await sh('bash', ['-c', `${pipeline} > /dev/null; times`], { maxBuffer: 1 << 26 });
  const children = stdout.trim().split('\n').at(-1)!;
  return [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, [, m, sec]) => sum + Number(m) * 60 + Number(sec), 0);
}

/** Loads the generated lines into Elasticsearch with _bulk (5,000 documents a request), as the agent would. */
async function loadElasticsearch(url: string, day: GeneratedDay): Promise<number> {
  for (const [name, body] of Object.entries(indexTemplates('watchkeeper', false))) {
    const res = await fetch(`${url}/_index_template/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`template ${name}: ${res.status} ${await res.text()}`);
  }
  const start = performance.now();
  let body: string[] = [];
  const send = async (): Promise<void> => {
    const res = await fetch(`${url}/_bulk?filter_path=errors,items.*.error`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: body.join(''),
    });
    const answer = (await res.json()) as { errors: boolean; items?: unknown[] };
    if (!res.ok || answer.errors) throw new Error(`bulk failed: ${res.status} ${JSON.stringify(answer).slice(0, 500)}`);
    body = [];
  };
  for (const file of day.files) {
    let rest = '';
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const lines = (rest + (chunk as string)).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const indexEnd = line.indexOf('"', 11);
        const idEnd = line.indexOf('"', indexEnd + 9);
        body.push(
          `{"create":{"_index":"${line.slice(11, indexEnd)}","_id":"${line.slice(indexEnd + 9, idEnd)}"}}\n${line.slice(idEnd + 8, -1)}\n`,
        );
        if (body.length >= 5000) await send();
      }
    }
  }
  if (body.length > 0) await send();
  await fetch(`${url}/watchkeeper-audit-*/_refresh`, { method: 'POST' });
  return (performance.now() - start) / 1000;
}

async function handWrittenSearch(url: string, query: unknown): Promise<number> {
  const res = await fetch(`${url}/watchkeeper-audit-*/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(query),
  });
  const answer = (await res.json()) as { hits: { hits: unknown[] } };
  return answer.hits.hits.length;
}

const range = (day: GeneratedDay): Record<string, unknown> => ({
  range: { '@timestamp': { gte: day.since.toISOString(), lt: day.until.toISOString() } },
});

interface Row {
  question: string;
  sink: string;
  watchkeeper: Timing;
  peer: string;
  peerTiming?: Timing;
  answer: string;
}

function seconds(t: Timing): string {
  return `${t.wall.toFixed(2)} s${t.cpu !== undefined ? ` (CPU ${t.cpu.toFixed(2)} s)` : ''}`;
}

async function measure(
  source: AuditSource,
  sink: string,
  day: GeneratedDay,
  peers: Record<string, { name: string; run: () => Promise<unknown> } | undefined>,
): Promise<Row[]> {
  const { since, until } = day;
  const rows: Row[] = [];
  const questions: { question: string; run: () => Promise<string> }[] = [
    {
      question: 'who delete pods/web-42 -n shop',
      run: async () =>
        `${(await who(source, { verb: 'delete', ref: { resource: 'pods', name: 'web-42' }, namespace: 'shop', since, until })).rows.length} rows`,
    },
    {
      question: 'history deployments/web -n shop',
      run: async () =>
        `${(await history(source, { ref: { resource: 'deployments', name: 'web' }, namespace: 'shop', since, until })).rows.length} rows`,
    },
    {
      question: 'user alice',
      run: async () => `${(await userActivity(source, 'alice', since, until)).total} requests`,
    },
    { question: 'suspicious', run: async () => `${(await suspicious(source, since, until)).findings.length} findings` },
  ];
  for (const q of questions) {
    const answer = await q.run();
    const timing = await median(q.run, sink === 'directory' ? 'process' : 'none');
    const peer = peers[q.question];
    const peerTiming = peer ? await median(peer.run, sink === 'directory' ? 'returned' : 'none') : undefined;
    rows.push({
      question: q.question,
      sink,
      watchkeeper: timing,
      peer: peer?.name ?? 'none',
      ...(peerTiming ? { peerTiming } : {}),
      answer,
    });
    process.stdout.write(
      `${sink.padEnd(13)} ${q.question.padEnd(34)} ${seconds(timing)}  ${answer}` +
        `${peerTiming ? `   peer ${seconds(peerTiming)} (wall ratio ${(timing.wall / peerTiming.wall).toFixed(2)})` : ''}\n`,
    );
  }
  return rows;
}

async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  const dir = path.join(work, 'out');
  let start = performance.now();
  const day = await generateDay(dir, total);
  process.stdout.write(
    `generated ${day.events} events (${(day.bytes / 2 ** 20).toFixed(0)} MiB in ${day.files.length} files) in ${((performance.now() - start) / 1000).toFixed(1)} s\n`,
  );
  const files = day.files.map((f) => `'${f}'`).join(' ');
  const jq =
    (grep: string, filter: string, tail = ''): (() => Promise<number>) =>
    () =>
      pipelineCpu(`grep -hF '${grep}' ${files} | jq -c '${filter}'${tail}`);
  const dirPeers = {
    'who delete pods/web-42 -n shop': {
      name: 'grep -F + jq',
      run: jq(
        '"web-42"',
        'select(.doc.verb=="delete" and .doc.objectRef.resource=="pods" and .doc.objectRef.name=="web-42" and .doc.objectRef.namespace=="shop")',
      ),
    },
    'history deployments/web -n shop': {
      name: 'grep -F + jq',
      run: jq(
        '"web"',
        'select(.doc.objectRef.resource=="deployments" and .doc.objectRef.name=="web" and .doc.objectRef.namespace=="shop" and (.doc.verb|test("create|update|patch|delete")))',
      ),
    },
    'user alice': {
      name: 'grep -F + jq + sort \\| uniq -c',
      run: jq(
        '"alice"',
        'select(.doc.user.username=="alice") | [.doc.verb, .doc.objectRef.resource]',
        ' | sort | uniq -c',
      ),
    },
    suspicious: undefined,
  };
  const rows = await measure(new DirectoryAuditSource(dir), 'directory', day, dirPeers);

  const es = await startElasticsearch();
  try {
    const loadSeconds = await loadElasticsearch(es.url, day);
    process.stdout.write(`loaded ${day.events} events into Elasticsearch in ${loadSeconds.toFixed(1)} s\n`);
    const filter = (more: unknown[]): unknown => ({
      size: 10_000,
      sort: [{ '@timestamp': 'asc' }],
      query: { bool: { filter: [range(day), ...more] } },
    });
    const esPeers = {
      'who delete pods/web-42 -n shop': {
        name: 'one _search',
        run: () =>
          handWrittenSearch(
            es.url,
            filter([
              { term: { verb: 'delete' } },
              { term: { 'objectRef.resource': 'pods' } },
              { term: { 'objectRef.name': 'web-42' } },
              { term: { 'objectRef.namespace': 'shop' } },
            ]),
          ),
      },
      'history deployments/web -n shop': {
        name: 'one _search',
        run: () =>
          handWrittenSearch(
            es.url,
            filter([
              { terms: { verb: ['create', 'update', 'patch', 'delete'] } },
              { term: { 'objectRef.resource': 'deployments' } },
              { term: { 'objectRef.name': 'web' } },
              { term: { 'objectRef.namespace': 'shop' } },
            ]),
          ),
      },
      'user alice': {
        name: 'terms aggregation',
        run: () =>
          fetch(`${es.url}/watchkeeper-audit-*/_search`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              size: 0,
              query: { bool: { filter: [range(day), { term: { 'user.username': 'alice' } }] } },
              aggs: {
                verbs: { multi_terms: { terms: [{ field: 'verb' }, { field: 'objectRef.resource' }], size: 1000 } },
              },
            }),
          }).then((r) => r.json()),
      },
      suspicious: undefined,
    };
    start = performance.now();
    rows.push(
      ...(await measure(
        new ElasticsearchAuditSource({
          url: es.url,
          indexPrefix: 'watchkeeper',
          mode: 'daily',
          requestTimeoutSeconds: 120,
        }),
        'elasticsearch',
        day,
        esPeers,
      )),
    );
  } finally {
    await es.stop();
    rmSync(work, { recursive: true, force: true });
  }

  const table = rows.map(
    (r) =>
      `| ${r.sink} | \`${r.question}\` | ${r.answer} | ${seconds(r.watchkeeper)} | ${r.peer} | ` +
      `${r.peerTiming ? `${seconds(r.peerTiming)} | ${(r.watchkeeper.wall / r.peerTiming.wall).toFixed(2)}` : '- | -'} |`,
  );
  await writeBenchmarkSection(
    '## Audit investigations',
    `
${machineLine()}. ${day.events.toLocaleString('en')} audit events of one day of a busy cluster (kubelets, controllers, the HPA,
workloads' service accounts, people; ${(day.bytes / 2 ** 20).toFixed(0)} MiB of directory sink NDJSON in ${day.files.length} files, the same
documents bulk-loaded into Elasticsearch 9.2 with the shipper's index template, single node, 512 MiB heap).
Time to answer (median of ${runs}, warm page cache, without the CLI's start of about 1 s) by watchkeeper and by a peer
answering the same question in the same run: grep -F + jq over the files, or a hand-written Elasticsearch request.
Wall time on a machine shared with other jobs (so wall time is noisy), and for the files the CPU
time of watchkeeper (its process) and of the peer (grep, jq, sort: bash's \`times\`). Ratio = watchkeeper /
peer wall time (below 1: watchkeeper is faster). \`npm run bench -- audit\`, WK_BENCH_AUDIT_EVENTS sets the size.

| sink | question | answer | watchkeeper | peer | peer time | wall ratio |
|---|---|---|---|---|---|---|
${table.join('\n')}
`,
  );
}

await main();
