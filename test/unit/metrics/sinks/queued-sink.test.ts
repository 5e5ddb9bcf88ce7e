import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../core/log.ts';
import { createSinkMetrics, sinkMetricNames } from '../../../../collectors/metrics/sinks/metrics.ts';
import { OutputError } from '../../../../collectors/metrics/sinks/output-error.ts';
import { QueuedSink, type OutputWriter, type PartialWrite } from '../../../../collectors/metrics/sinks/queued-sink.ts';
import { sliceEntries, type QueuedSlice } from '../../../../collectors/metrics/sinks/sample-queue.ts';
import { until } from '../../../support/eventually.ts';
import { scrapeBatch } from '../../../support/metrics-batch.ts';

/** A batch of `count` gauge samples. */
function batch(count: number) {
  return scrapeBatch({
    timestampMs: 1_700_000_000_000,
    families: [
      {
        name: 'g',
        type: 'gauge',
        samples: Array.from({ length: count }, (_, i) => ({ labels: { i: String(i) }, value: i })),
      },
    ],
  });
}

/** A writer whose answers the test scripts: each send takes the next outcome (the last one repeats). */
class ScriptedWriter implements OutputWriter<number> {
  sent: number[] = [];
  attempts = 0;
  private readonly outcomes: (Error | 'ok' | PartialWrite)[];
  constructor(outcomes: (Error | 'ok' | PartialWrite)[]) {
    this.outcomes = outcomes;
  }
  prepare(slices: readonly QueuedSlice[]) {
    return { payload: sliceEntries(slices), samples: sliceEntries(slices) };
  }
  send(payload: number): Promise<PartialWrite | undefined> {
    const outcome = this.outcomes[Math.min(this.attempts, this.outcomes.length - 1)]!;
    this.attempts++;
    if (outcome instanceof Error) return Promise.reject(outcome);
    this.sent.push(payload);
    return Promise.resolve(outcome === 'ok' ? undefined : outcome);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(
  writer: OutputWriter<number>,
  overrides: { capacity?: number; attempts?: number; maxSamples?: number; initialBackoffMs?: number } = {},
) {
  const registry = new Registry();
  const records: { msg: string; reason?: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      records.push(JSON.parse(chunk.toString()) as { msg: string });
      done();
    },
  });
  const sink = new QueuedSink({
    name: 'test',
    writer,
    maxSamplesPerRequest: overrides.maxSamples ?? 100,
    metrics: createSinkMetrics(registry),
    logger: createLogger({ level: 'info', format: 'json', destination }),
    settings: {
      queueCapacity: overrides.capacity ?? 1000,
      flushIntervalMs: 10,
      timeoutSeconds: 1,
      retry: {
        attempts: overrides.attempts ?? 3,
        initialBackoffMs: overrides.initialBackoffMs ?? 1,
        maxBackoffMs: Math.max(2, overrides.initialBackoffMs ?? 1),
      },
    },
  });
  const value = async (name: string, labels: Record<string, string>): Promise<number> => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    const found = metric?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
    return found?.value ?? 0;
  };
  return { sink, records, value };
}

describe('QueuedSink', () => {
  it('sends full requests, counts what was sent and flushes the rest on close', async () => {
    const writer = new ScriptedWriter(['ok']);
    const { sink, value } = setup(writer, { maxSamples: 40 });
    sink.push(batch(100));
    await sink.close(AbortSignal.timeout(5000));
    expect(writer.sent).toEqual([40, 40, 20]);
    expect(await value(sinkMetricNames.samplesSent, { output: 'test' })).toBe(100);
    expect(await value(sinkMetricNames.queueSamples, { output: 'test' })).toBe(0);
  });

  it('retries retryable failures and then delivers', async () => {
    const writer = new ScriptedWriter([
      new OutputError('status_503', true, 'down'),
      new OutputError('connection', true, 'refused'),
      'ok',
    ]);
    const { sink, value } = setup(writer);
    sink.push(batch(5));
    await until(() => writer.sent.length === 1, 'delivered after two failures');
    expect(writer.attempts).toBe(3);
    expect(await value(sinkMetricNames.writeErrors, { output: 'test', reason: 'status_503' })).toBe(1);
    expect(await value(sinkMetricNames.writeErrors, { output: 'test', reason: 'connection' })).toBe(1);
    expect(await value(sinkMetricNames.samplesSent, { output: 'test' })).toBe(5);
    await sink.close();
  });

  it('waits as long as Retry-After says instead of its own backoff', async () => {
    // The backoff would be 10 minutes; the answer asks for 5 ms, so the retry comes within the test's wait.
    const writer = new ScriptedWriter([new OutputError('status_429', true, 'slow down', { retryAfterMs: 5 }), 'ok']);
    const { sink } = setup(writer, { initialBackoffMs: 600_000 });
    sink.push(batch(2));
    await until(() => writer.sent.length === 1, 'delivered after Retry-After', 10_000);
    await sink.close();
  });

  it('drops a request the receiver refuses for good after one attempt, with a logged reason', async () => {
    const writer = new ScriptedWriter([new OutputError('status_400', false, 'out of order sample')]);
    const { sink, records, value } = setup(writer);
    sink.push(batch(7));
    await until(
      async () => (await value(sinkMetricNames.samplesDropped, { output: 'test', reason: 'rejected' })) === 7,
      'rejected samples counted',
    );
    expect(writer.attempts).toBe(1);
    expect(records.find((r) => r.reason === 'rejected')?.msg).toMatch(/refused/);
    await sink.close();
  });

  it('counts the refused part of a partial write as rejected and the rest as sent, without retrying', async () => {
    const writer = new ScriptedWriter([
      { refused: 2, error: new OutputError('status_400', false, 'partial write: dropped=2') },
    ]);
    const { sink, value } = setup(writer);
    sink.push(batch(10));
    await until(
      async () => (await value(sinkMetricNames.samplesSent, { output: 'test' })) === 8,
      'rest counted as sent',
    );
    expect(await value(sinkMetricNames.samplesDropped, { output: 'test', reason: 'rejected' })).toBe(2);
    expect(await value(sinkMetricNames.writeErrors, { output: 'test', reason: 'status_400' })).toBe(1);
    expect(writer.attempts).toBe(1);
    await sink.close();
  });

  it('gives up after the configured attempts and counts retries_exhausted', async () => {
    const writer = new ScriptedWriter([new OutputError('timeout', true, 'slow')]);
    const { sink, value } = setup(writer, { attempts: 4 });
    sink.push(batch(3));
    await until(
      async () => (await value(sinkMetricNames.samplesDropped, { output: 'test', reason: 'retries_exhausted' })) === 3,
      'exhausted',
    );
    expect(writer.attempts).toBe(4);
    expect(await value(sinkMetricNames.writeErrors, { output: 'test', reason: 'timeout' })).toBe(4);
    await sink.close();
  });

  it('push never throws and counts batches pushed after close as dropped at shutdown', async () => {
    const { sink, value } = setup(new ScriptedWriter(['ok']));
    await sink.close();
    expect(() => sink.push(batch(9))).not.toThrow();
    expect(await value(sinkMetricNames.samplesDropped, { output: 'test', reason: 'shutdown' })).toBe(9);
  });

  it('close with an aborted signal stops retrying and counts what was left as shutdown drops', async () => {
    const writer = new ScriptedWriter([new OutputError('status_503', true, 'down', { retryAfterMs: 60_000 })]);
    // Backoff up to a minute, so Retry-After (60 s) is honoured and the first request is still waiting when close
    // aborts (with setup's 2 ms cap its 100 attempts could all run out before the second push on a loaded machine).
    const { sink, value } = setup(writer, { attempts: 100, initialBackoffMs: 60_000 });
    sink.push(batch(10));
    await until(() => writer.attempts >= 1, 'first attempt');
    sink.push(batch(4));
    await sink.close(AbortSignal.timeout(50));
    expect(await value(sinkMetricNames.samplesDropped, { output: 'test', reason: 'shutdown' })).toBe(14);
    expect(await value(sinkMetricNames.samplesSent, { output: 'test' })).toBe(0);
  });
});
