import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.ts';
import { sinksSection } from '../../collectors/metrics/sinks/config.ts';
import { createSinks } from '../../collectors/metrics/sinks/factory.ts';
import { sinkMetricNames } from '../../collectors/metrics/sinks/metrics.ts';
import type { MetricsSink } from '../../collectors/metrics/types.ts';
import { startInfluxDB, startVictoriaMetrics, type InfluxDBServer, type VictoriaMetricsServer } from '../env/index.ts';
import { eventually, until } from '../support/eventually.ts';
import { histogramFamily, scrapeBatch, summaryFamily } from '../support/metrics-batch.ts';
import { registryValue } from '../support/registry-value.ts';

/** Builds the InfluxDB sink from config as the agent does, with its own registry and a log to read. */
function influxSink(server: InfluxDBServer, overrides: Record<string, unknown>, tokenFile: string) {
  const registry = new Registry();
  const records: { msg: string; reason?: string; err?: { message: string } }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, done) {
      records.push(JSON.parse(chunk.toString()) as { msg: string });
      done();
    },
  });
  const config = sinksSection.parse({
    influxdb: { enabled: true, url: server.url, tokenFile, bucket: server.bucket, flushIntervalMs: 20, ...overrides },
  });
  const [sink] = createSinks(config, {
    registry,
    logger: createLogger({ level: 'info', format: 'json', destination }),
  }) as [MetricsSink];
  return {
    sink,
    registry,
    records,
    value: (name: string, labels: Record<string, string>) =>
      registryValue(registry, name, { output: 'influxdb', ...labels }),
  };
}

describe('InfluxDB output against a real InfluxDB 1.8', () => {
  let influx: InfluxDBServer;
  let tokenFile: string;

  beforeAll(async () => {
    influx = await startInfluxDB();
    tokenFile = join(tmpdir(), `watchkeeper-influx-token-${process.pid}`);
    await writeFile(tokenFile, `${influx.token}\n`);
  });
  afterAll(async () => {
    await influx?.stop();
  });

  it('writes counters, gauges, histograms and summaries that read back with InfluxQL as documented', async () => {
    const t = Date.UTC(2026, 0, 1, 12, 0, 0);
    const { sink, value } = influxSink(influx, {}, tokenFile);
    sink.push(
      scrapeBatch({
        job: 'api',
        timestampMs: t,
        families: [
          {
            name: 'http_requests_total',
            type: 'counter',
            samples: [
              { labels: { code: '200' }, value: 1027 },
              { labels: { code: '500' }, value: 3 },
            ],
          },
          { name: 'queue_depth', type: 'gauge', samples: [{ labels: { queue: 'a b,c' }, value: -2.5 }] },
          histogramFamily(
            'rpc_seconds',
            { method: 'get' },
            [
              ['0.1', 3],
              ['1', 5],
              ['+Inf', 6],
            ],
            2.25,
            6,
          ),
          summaryFamily(
            'gc_seconds',
            {},
            [
              ['0.5', 0.01],
              ['0.99', Number.NaN],
            ],
            12.5,
            400,
          ),
        ],
      }),
    );
    await sink.close(AbortSignal.timeout(10_000));

    expect(
      await influx.query('SELECT "counter" FROM "http_requests_total" WHERE "job" = \'api\' GROUP BY "code"'),
    ).toEqual([
      { name: 'http_requests_total', tags: { code: '200' }, columns: ['time', 'counter'], values: [[t, 1027]] },
      { name: 'http_requests_total', tags: { code: '500' }, columns: ['time', 'counter'], values: [[t, 3]] },
    ]);
    expect(await influx.query('SELECT "gauge", "queue", "instance" FROM "queue_depth"')).toEqual([
      {
        name: 'queue_depth',
        columns: ['time', 'gauge', 'queue', 'instance'],
        values: [[t, -2.5, 'a b,c', '127.0.0.1:9100']],
      },
    ]);
    expect(await influx.query('SELECT "0.1", "1", "+Inf", "sum", "count", "method" FROM "rpc_seconds"')).toEqual([
      {
        name: 'rpc_seconds',
        columns: ['time', '0.1', '1', '+Inf', 'sum', 'count', 'method'],
        values: [[t, 3, 5, 6, 2.25, 6, 'get']],
      },
    ]);
    // The NaN quantile cannot be stored: the rest of the summary is, and the skip is counted.
    expect(await influx.query('SELECT * FROM "gc_seconds"')).toEqual([
      {
        name: 'gc_seconds',
        columns: ['time', '0.5', 'count', 'instance', 'job', 'sum'],
        values: [[t, 0.01, 400, '127.0.0.1:9100', 'api', 12.5]],
      },
    ]);
    expect(await influx.query('SHOW TAG KEYS FROM "rpc_seconds"')).toEqual([
      { name: 'rpc_seconds', columns: ['tagKey'], values: [['instance'], ['job'], ['method']] },
    ]);
    expect(await value(sinkMetricNames.samplesSent, {})).toBe(11);
    expect(await value(sinkMetricNames.samplesSkipped, { reason: 'nan_or_inf' })).toBe(1);
  });

  it('while the database is down, keeps only the newest samples up to its capacity, counts the drops, and delivers again when it is back', async () => {
    const t = Date.UTC(2026, 0, 2);
    const { sink, value } = influxSink(
      influx,
      {
        batchSize: 10,
        queueCapacity: 30,
        retry: { attempts: 1000, initialBackoffMs: 50, maxBackoffMs: 200 },
      },
      tokenFile,
    );
    /** Batch n: ten series of `seq` with value n, at t + n seconds. */
    const batch = (n: number) =>
      scrapeBatch({
        job: 'outage',
        timestampMs: t + n * 1000,
        families: [
          {
            name: 'seq',
            type: 'gauge',
            samples: Array.from({ length: 10 }, (_, i) => ({ labels: { i: String(i) }, value: n })),
          },
        ],
      });
    await influx.process.stop();
    sink.push(batch(1));
    await until(
      async () => (await value(sinkMetricNames.writeErrors, { reason: 'connection' })) > 0,
      'the first request failing',
    );
    const queueSizes: number[] = [];
    for (let n = 2; n <= 20; n++) {
      sink.push(batch(n));
      queueSizes.push(await value(sinkMetricNames.queueSamples, {}));
    }
    expect(Math.max(...queueSizes)).toBe(30);
    expect(await value(sinkMetricNames.samplesDropped, { reason: 'queue_full' })).toBe(160);

    await influx.process.start();
    await until(async () => (await value(sinkMetricNames.samplesSent, {})) === 40, 'delivery resumed', 30_000);
    const stored = await eventually(
      () => influx.query('SELECT count("gauge") FROM "seq" GROUP BY time(1s) FILL(none)'),
      (s) => s.length > 0,
      'seq stored',
    );
    // Batch 1 was in flight and retried until the database came back; 2..17 were the oldest in the queue and went.
    expect(stored[0]!.values.map(([time, count]) => [((time as number) - t) / 1000, count])).toEqual([
      [1, 10],
      [18, 10],
      [19, 10],
      [20, 10],
    ]);
    await sink.close(AbortSignal.timeout(5000));
  });

  it('counts and drops a write the database refuses for good (unknown database) without retrying it', async () => {
    const { sink, value, records } = influxSink(
      influx,
      { bucket: 'no_such_db/autogen', retry: { attempts: 50, initialBackoffMs: 10, maxBackoffMs: 20 } },
      tokenFile,
    );
    sink.push(
      scrapeBatch({
        timestampMs: Date.now(),
        families: [{ name: 'g', type: 'gauge', samples: [{ value: 1 }, { labels: { a: 'b' }, value: 2 }] }],
      }),
    );
    await until(
      async () => (await value(sinkMetricNames.samplesDropped, { reason: 'rejected' })) === 2,
      'rejected samples counted',
    );
    expect(await value(sinkMetricNames.writeErrors, { reason: 'status_404' })).toBe(1);
    expect(records.find((r) => r.reason === 'rejected')?.err?.message).toMatch(/HTTP 404: .*database not found/);
    await sink.close(AbortSignal.timeout(5000));
  });

  it('writes a label named time as the tag time_, and when InfluxDB refuses some lines (field type conflict) stores the rest', async () => {
    const t = Date.UTC(2026, 0, 3);
    // Someone else wrote a string field `value` to the measurement `clash` first: our float for it will conflict.
    const seed = await fetch(`${influx.url}/api/v2/write?bucket=${encodeURIComponent(influx.bucket)}&precision=ms`, {
      method: 'POST',
      headers: { authorization: `Token ${influx.token}` },
      body: `clash value="text" ${t}`,
    });
    expect(seed.status).toBe(204);
    const { sink, value } = influxSink(influx, {}, tokenFile);
    sink.push(
      scrapeBatch({
        job: 'partial',
        timestampMs: t + 1000,
        families: [
          { name: 'clash', type: 'untyped', samples: [{ value: 1 }] },
          {
            name: 'fine',
            type: 'gauge',
            samples: [
              { labels: { time: 'noon' }, value: 2 },
              { labels: { time: 'midnight' }, value: 3 },
            ],
          },
        ],
      }),
    );
    await sink.close(AbortSignal.timeout(10_000));
    expect(await influx.query('SELECT "gauge" FROM "fine" GROUP BY "time_"')).toEqual([
      { name: 'fine', tags: { time_: 'midnight' }, columns: ['time', 'gauge'], values: [[t + 1000, 3]] },
      { name: 'fine', tags: { time_: 'noon' }, columns: ['time', 'gauge'], values: [[t + 1000, 2]] },
    ]);
    expect(await value(sinkMetricNames.samplesSent, {})).toBe(2);
    expect(await value(sinkMetricNames.samplesDropped, { reason: 'rejected' })).toBe(1);
  });

  it('counts a wrong token as a refused write and never logs the token', async () => {
    const badTokenFile = `${tokenFile}-bad`;
    await writeFile(badTokenFile, 'admin:not-the-password');
    const { sink, value, records } = influxSink(influx, {}, badTokenFile);
    sink.push(
      scrapeBatch({ timestampMs: Date.now(), families: [{ name: 'g', type: 'gauge', samples: [{ value: 1 }] }] }),
    );
    await until(
      async () => (await value(sinkMetricNames.samplesDropped, { reason: 'rejected' })) === 1,
      'rejected sample counted',
    );
    expect(await value(sinkMetricNames.writeErrors, { reason: 'status_401' })).toBe(1);
    expect(JSON.stringify(records)).not.toContain('not-the-password');
    await sink.close(AbortSignal.timeout(5000));
  });
});

describe('InfluxDB output against VictoriaMetrics, a second InfluxDB line-protocol receiver', () => {
  let vm: VictoriaMetricsServer;
  beforeAll(async () => {
    vm = await startVictoriaMetrics();
  });
  afterAll(async () => {
    await vm?.stop();
  });

  it('writes the same mapping, which VictoriaMetrics stores as <measurement>_<field> series', async () => {
    const registry = new Registry();
    const config = sinksSection.parse({
      influxdb: { enabled: true, url: vm.url, token: 'ignored-by-vm', bucket: 'db', flushIntervalMs: 20 },
    });
    const [sink] = createSinks(config, { registry, logger: createLogger({ level: 'silent', format: 'json' }) }) as [
      MetricsSink,
    ];
    sink.push(
      scrapeBatch({
        job: 'vm',
        timestampMs: Date.now() - 1000,
        families: [
          histogramFamily(
            'rpc_seconds',
            { method: 'get' },
            [
              ['0.1', 3],
              ['+Inf', 6],
            ],
            2.25,
            6,
          ),
        ],
      }),
    );
    await sink.close(AbortSignal.timeout(10_000));
    await vm.flush();
    const count = await eventually(
      () => vm.query('rpc_seconds_count{job="vm",method="get"}'),
      (r) => r.length > 0,
      'rpc_seconds_count',
    );
    expect(count[0]?.value[1]).toBe('6');
    expect((await vm.query('rpc_seconds_sum{job="vm"}'))[0]?.value[1]).toBe('2.25');
    expect(await registryValue(registry, sinkMetricNames.samplesSent, { output: 'influxdb' })).toBe(4);
  });
});
