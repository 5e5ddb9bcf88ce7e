import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElasticsearch, type FakeElasticsearch } from '../fakes/elasticsearch/server.ts';
import { AgentProcess, writeAgentConfig } from '../unit/logs/support/agent-process.ts';
import { tallyDocuments, torture, TortureLog, type TortureSink } from '../unit/logs/support/torture.ts';

// The shortened torture run (bench/logs-torture runs the full size): 6 container logs at
// 3,000 lines/s for 10 s, half rotated like kubelet (rename, gzip, delete) and half by
// copytruncate, every ~1.6 s each (5 files kept: about 8 s of history); three kill -9 of the agent (one while the sink is down and
// reading is paused); a 3 s outage (connection refused); per-item 429s, mapping errors and P/F
// split messages, some split across a rotation (P pieces at the end of one generation, the F
// piece at the start of the next). The fake Elasticsearch is used because it injects the 429s and mapping errors.
describe('log shipper torture (shortened)', () => {
  let fake: FakeElasticsearch;
  let agent: AgentProcess | undefined;
  beforeAll(async () => {
    fake = await startFakeElasticsearch();
  });
  afterAll(async () => {
    await agent?.kill9();
    await fake.stop();
  });

  it('loses no line and stores none twice under rotation storms, kill -9, an outage and item errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-torture-'));
    mkdirSync(join(dir, 'pods'));
    const prefix = 'torture';
    const config = writeAgentConfig(dir, {
      containers: { paths: [join(dir, 'pods/*/*/*.log')], startAt: 'beginning' },
      sink: 'elasticsearch',
      elasticsearch: { url: fake.url, indexPrefix: prefix, initialBackoffMs: 50, maxBackoffMs: 500 },
      batch: { maxEvents: 1000, maxDelayMs: 100, maxBufferedBytes: 1024 * 1024 },
      // Acknowledged lines are persisted once a second, so a kill while lines flow re-sends some.
      checkpointIntervalMs: 1000,
    });
    agent = new AgentProcess(config, join(dir, 'agent.log'));
    const logs = Array.from(
      { length: 6 },
      (_, i) =>
        new TortureLog(
          join(dir, `pods/ns_pod-${i}_uid-${i}/app/0.log`),
          `f${i}`,
          i % 2 === 0 ? 'rename' : 'copytruncate',
          200,
        ),
    );
    fake.faults.itemReject = { every: 50, times: 1 };
    fake.faults.mappingError = (source) => String(source.message).includes('BADMAP');
    const conflictsBefore = fake.stats.conflicts;
    const deadLetters = join(dir, 'data', 'dead-letter.ndjson');
    const sink: TortureSink = {
      tally: (expected) =>
        Promise.resolve(
          tallyDocuments(
            expected,
            fake.documents(`${prefix}-logs-*`).map((d) => ({ id: d._id, message: String(d._source.message) })),
          ),
        ),
      down: () => fake.stop(),
      up: () => fake.start(),
      resent: () => Promise.resolve(fake.stats.conflicts - conflictsBefore),
      deadLettered: () =>
        (existsSync(deadLetters) ? readFileSync(deadLetters, 'utf8').trim().split('\n') : []).map(
          (line) =>
            String((JSON.parse(JSON.parse(line).document as string) as { message: string }).message).split(' ')[0]!,
        ),
    };
    await agent.start();
    const result = await torture({
      logs,
      agent,
      sink,
      linesPerSecond: 3000,
      seconds: 10,
      rotateBytes: 160 * 1024,
      kills: 3,
      outage: { atSecond: 3, seconds: 3 },
      splitEvery: 100,
      badEvery: 400,
      splitAcrossRotation: true,
      seed: 10,
      settleMs: 90_000,
    });
    delete fake.faults.itemReject;
    delete fake.faults.mappingError;
    if (process.env.WK_TORTURE_DEBUG) console.log(JSON.stringify(result), dir);
    expect(result.lostExamples).toEqual([]);
    expect(result.causes).toEqual({ deletedWhileDown: 0, deletedThenKilled: 0, deletedWhileUp: 0, notDeleted: 0 });
    expect(result.lost).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.brokenSplits).toBe(0);
    expect(result.kills).toBe(3);
    expect(result.rotations).toBeGreaterThan(25);
    expect(result.sent).toBeGreaterThan(25_000);
    // Each kill left batches unacknowledged: they were sent again and answered as already stored.
    expect(result.resent).toBeGreaterThan(0);
    expect(result.bad).toBe(
      logs.reduce((n, f) => n + [...f.written.values()].filter((m) => m.includes('BADMAP')).length, 0),
    );
    expect(result.deadLettered).toBe(result.bad);
    expect(await agent.stop()).toBe(0);
  });
});
