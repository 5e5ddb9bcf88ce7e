import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElasticsearch, type FakeElasticsearch } from '../fakes/elasticsearch/server.ts';
import {
  AgentProcess,
  CriWriter,
  eventually,
  messageKey,
  writeAgentConfig,
} from '../unit/logs/support/agent-process.ts';

// The shipper runs as a real child process (`node cli/main.ts agent`) against the Elasticsearch
// fake, which injects the faults (outage, per-item 429s, mapping errors). After each scenario
// every written line must be in the sink. Scenarios without injected faults run against the real
// Elasticsearch (logs-real-elasticsearch.test.ts); the torture run is logs-torture.test.ts.

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('log shipper against Elasticsearch (fake with faults)', () => {
  let fake: FakeElasticsearch;
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    fake = await startFakeElasticsearch();
  });
  // A failed assertion must not leave an agent running.
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.kill9();
  });
  afterAll(async () => {
    await fake.stop();
  });

  function setup(
    name: string,
    logs: Record<string, unknown> = {},
  ): { dir: string; agent: AgentProcess; prefix: string; podDir: string } {
    const dir = mkdtempSync(join(tmpdir(), `wk-logs-${name}-`));
    const prefix = `t-${name}`;
    const config = writeAgentConfig(dir, {
      containers: { paths: [join(dir, 'pods/*/*/*.log')], startAt: 'beginning' },
      sink: 'elasticsearch',
      elasticsearch: { url: fake.url, indexPrefix: prefix, initialBackoffMs: 50, maxBackoffMs: 1000 },
      ...logs,
    });
    // As /var/log/pods on a node, the directory exists before the agent starts.
    mkdirSync(join(dir, 'pods'));
    const agent = new AgentProcess(config, join(dir, 'agent.log'));
    agents.push(agent);
    return { dir, agent, prefix, podDir: join(dir, 'pods') };
  }

  /** Messages (without padding) stored under the prefix. */
  function stored(prefix: string): Set<string> {
    return new Set(fake.documents(`${prefix}-logs-*`).map((d) => messageKey(d._source.message)));
  }

  function missing(prefix: string, writers: CriWriter[]): string[] {
    const have = stored(prefix);
    return writers.flatMap((w) => w.written.filter((m) => !have.has(m)));
  }

  it('pauses while the sink is down (503, then no server) and catches up without losing a line', async () => {
    const { agent, prefix, podDir } = setup('down');
    const writers = [0, 1].map((i) => new CriWriter(join(podDir, `ns_down-${i}_uid${i}/app/0.log`), `down-${i}`));
    await agent.start();
    for (const w of writers) w.write(500);
    await eventually(() => missing(prefix, writers).length === 0);
    fake.faults.down = 503;
    for (const w of writers) w.write(2000);
    await sleep(1500);
    await fake.stop();
    for (const w of writers) {
      w.write(2000);
      w.rotateByRename();
      w.write(500);
    }
    await sleep(1500);
    const whileDown = stored(prefix).size;
    delete fake.faults.down;
    await fake.start();
    await eventually(() => missing(prefix, writers).length === 0);
    expect(whileDown).toBe(1000);
    expect(missing(prefix, writers)).toEqual([]);
    expect(await agent.stop()).toBe(0);
  });

  it('retries only items rejected with 429 and dead-letters mapping errors with their reason', async () => {
    const { agent, prefix, podDir, dir } = setup('items');
    const writers = [0, 1].map((i) => new CriWriter(join(podDir, `ns_items-${i}_uid${i}/app/0.log`), `items-${i}`));
    fake.faults.itemReject = { every: 7, times: 2 };
    fake.faults.mappingError = (source) => String(source.message).includes('BADMAP');
    const before = { ...fake.stats };
    await agent.start();
    for (let round = 0; round < 10; round++) {
      for (const w of writers) {
        w.write(300);
        w.write(1, ' BADMAP');
      }
      await sleep(20);
    }
    const bad = writers.flatMap((w) => w.written.filter((m) => m.includes('BADMAP')));
    const good = writers.map((w) => ({ written: w.written.filter((m) => !m.includes('BADMAP')) }) as CriWriter);
    const deadLetterFile = join(dir, 'data', 'dead-letter.ndjson');
    const deadLettered = (): string[] =>
      existsSync(deadLetterFile)
        ? readFileSync(deadLetterFile, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { reason: string; document: string })
            .map((l) => `${l.reason} ${messageKey((JSON.parse(l.document) as { message: string }).message)}`)
        : [];
    await eventually(() => missing(prefix, good).length === 0 && deadLettered().length >= bad.length);
    delete fake.faults.itemReject;
    delete fake.faults.mappingError;
    expect(missing(prefix, good)).toEqual([]);
    expect(deadLettered().sort()).toEqual(bad.map((m) => `document_parsing_exception ${m}`).sort());
    expect(fake.stats.rejected429 - before.rejected429).toBeGreaterThan(0);
    // Only failed items go again: far fewer items than whole batches re-sent would be.
    const sent = fake.stats.bulkItems - before.bulkItems;
    const total = writers.reduce((n, w) => n + w.written.length, 0);
    expect(sent).toBeLessThan(total * 1.5);
    expect(await agent.stop()).toBe(0);
  });
});
