import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogsMetrics } from '../../../collectors/logs/metrics.ts';
import { AckTarget } from '../../../collectors/logs/pipeline/ack.ts';
import { Batch } from '../../../collectors/logs/pipeline/batch.ts';
import { DeadLetterFile } from '../../../collectors/logs/sinks/dead-letter.ts';
import { ElasticsearchSink } from '../../../collectors/logs/sinks/elasticsearch/sink.ts';
import { startFakeElasticsearch, type FakeElasticsearch } from '../../fakes/elasticsearch/server.ts';
import { eventually } from './support/agent-process.ts';
import { logsConfig } from './support/capture.ts';

function batchOf(index: string, n: number, prefix: string, pad = 300): Batch {
  const b = new Batch(1024);
  const t = new AckTarget(0);
  for (let i = 0; i < n; i++) {
    b.beginItem(index, `${prefix}-${i}`);
    b.utf8(JSON.stringify({ '@timestamp': '2025-01-01T00:00:00Z', message: `${prefix} ${i} ${'p'.repeat(pad)}` }));
    b.endItem(t, i + 1);
  }
  b.seal();
  return b;
}

describe('Elasticsearch sink', () => {
  let fake: FakeElasticsearch;
  let dir: string;
  const make = (
    overrides: Record<string, unknown> = {},
    registry = new Registry(),
  ): { sink: ElasticsearchSink; deadLetters: DeadLetterFile } => {
    const deadLetters = new DeadLetterFile(dir);
    const config = logsConfig({
      elasticsearch: { url: fake.url, initialBackoffMs: 10, maxBackoffMs: 50, ...overrides },
    }).elasticsearch;
    return {
      sink: new ElasticsearchSink({
        config,
        deadLetters,
        metrics: createLogsMetrics(registry),
        logger: pino({ level: 'silent' }),
      }),
      deadLetters,
    };
  };
  beforeAll(async () => {
    fake = await startFakeElasticsearch();
    dir = mkdtempSync(join(tmpdir(), 'wk-sink-'));
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('writes into data streams when configured, through the installed template', async () => {
    const { sink } = make({ mode: 'datastream', indexPrefix: 'dsx' });
    const signal = new AbortController().signal;
    await sink.start(signal);
    await sink.write(batchOf('dsx-logs', 3, 'ds'), signal);
    const docs = fake.documents('dsx-logs');
    expect(docs).toHaveLength(3);
    expect(docs[0]!._index).toMatch(/^\.ds-dsx-logs-/);
    await sink.close();
  });

  it('splits a batch refused with 413 until the parts fit, and dead-letters a single item that never fits', async () => {
    const { sink, deadLetters } = make({ installTemplate: false });
    const signal = new AbortController().signal;
    await sink.start(signal);
    fake.faults.maxBodyBytes = 2000;
    const before = fake.stats.tooLarge;
    await sink.write(batchOf('split-1', 20, 'split'), signal);
    expect(fake.documents('split-1')).toHaveLength(20);
    expect(fake.stats.tooLarge - before).toBeGreaterThan(2);
    await sink.write(batchOf('split-2', 1, 'huge', 5000), signal);
    delete fake.faults.maxBodyBytes;
    await deadLetters.close();
    const letters = readFileSync(deadLetters.path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; reason: string });
    expect(letters).toContainEqual(expect.objectContaining({ id: 'huge-0', reason: 'request_too_large' }));
    await sink.close();
  });

  it('sends again after whole-request 429/503 and lost connections, storing every item once', async () => {
    const { sink } = make({ installTemplate: false });
    const signal = new AbortController().signal;
    fake.faults.bulkStatus = { status: 429, count: 2, retryAfterSeconds: 0 };
    await sink.write(batchOf('again-1', 5, 'a'), signal);
    fake.faults.bulkStatus = { status: 503, count: 1 };
    fake.faults.dropAfterIndexing = 1;
    await sink.write(batchOf('again-1', 10, 'b'), signal);
    expect(fake.documents('again-1')).toHaveLength(15);
    expect(fake.stats.conflicts).toBeGreaterThan(0);
    await sink.close();
  });

  it('counts a request without an answer within requestTimeoutSeconds as a timeout and sends it again', async () => {
    const registry = new Registry();
    const { sink } = make({ installTemplate: false, requestTimeoutSeconds: 0.2 }, registry);
    const signal = new AbortController().signal;
    const timeouts = async (): Promise<number> =>
      (await registry.getSingleMetric('watchkeeper_logs_retries_total')!.get()).values
        .filter((v) => v.labels.reason === 'timeout')
        .reduce((sum, v) => sum + v.value, 0);
    fake.faults.delayMs = 1000;
    const writing = sink.write(batchOf('slow-1', 4, 'slow'), signal);
    expect(await eventually(async () => (await timeouts()) >= 1, 10_000, 20)).toBe(true);
    delete fake.faults.delayMs;
    await writing;
    expect(fake.documents('slow-1')).toHaveLength(4);
    await sink.close();
  });
});
