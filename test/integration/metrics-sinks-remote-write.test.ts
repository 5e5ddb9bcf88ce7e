import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
import {
  Pki,
  startPrometheus,
  startVictoriaMetrics,
  type PrometheusServer,
  type VictoriaMetricsServer,
} from '../env/index.ts';
import { eventually, until } from '../support/eventually.ts';
import { histogramFamily, scrapeBatch, summaryFamily } from '../support/metrics-batch.ts';
import { registryValue } from '../support/registry-value.ts';

/** remote_write sinks built from config as the agent does, with one registry and a log to read. */
function remoteWriteSinks(outputs: Record<string, unknown>[]) {
  const registry = new Registry();
  const records: { msg: string; reason?: string; err?: { message: string } }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, done) {
      records.push(JSON.parse(chunk.toString()) as { msg: string });
      done();
    },
  });
  const config = sinksSection.parse({ remoteWrite: outputs.map((o) => ({ flushIntervalMs: 20, ...o })) });
  const sinks = createSinks(config, { registry, logger: createLogger({ level: 'info', format: 'json', destination }) });
  return {
    sinks,
    records,
    push: (batch: Parameters<MetricsSink['push']>[0]) => {
      for (const sink of sinks) sink.push(batch);
    },
    close: () => Promise.all(sinks.map((s) => s.close(AbortSignal.timeout(10_000)))),
    value: (output: string, name: string, labels: Record<string, string> = {}) =>
      registryValue(registry, name, { output, ...labels }),
  };
}

/** Instant query result as `{labels} value` strings, sorted. */
function flat(result: { metric: Record<string, string>; value: [number, string] }[]): string[] {
  return result.map((r) => `${JSON.stringify(r.metric)} ${r.value[1]}`).sort();
}

describe('remote_write output against real Prometheus and VictoriaMetrics', () => {
  let prometheus: PrometheusServer;
  let vm: VictoriaMetricsServer;

  beforeAll(async () => {
    [prometheus, vm] = await Promise.all([startPrometheus({ remoteWriteReceiver: true }), startVictoriaMetrics()]);
  });
  afterAll(async () => {
    await Promise.all([prometheus?.stop(), vm?.stop()]);
  });

  it('writes counters, gauges, histograms and summaries that PromQL reads back from both receivers', async () => {
    const t = Date.now() - 2000;
    const out = remoteWriteSinks([
      { url: prometheus.remoteWriteUrl, name: 'prometheus' },
      { url: vm.remoteWriteUrl, name: 'vm' },
    ]);
    out.push(
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
              ['0.99', Number.POSITIVE_INFINITY],
            ],
            12.5,
            400,
          ),
        ],
      }),
    );
    await out.close();
    expect(await out.value('prometheus', sinkMetricNames.samplesSent)).toBe(12);
    expect(await out.value('vm', sinkMetricNames.samplesSent)).toBe(12);
    await vm.flush();

    for (const server of [prometheus, vm]) {
      const q = (promql: string) =>
        eventually(
          () => server.query(promql),
          (r) => r.length > 0,
          `${promql} on ${server.url}`,
        );
      expect(flat(await q('http_requests_total{job="api"}'))).toEqual([
        '{"__name__":"http_requests_total","code":"200","instance":"127.0.0.1:9100","job":"api"} 1027',
        '{"__name__":"http_requests_total","code":"500","instance":"127.0.0.1:9100","job":"api"} 3',
      ]);
      expect(flat(await q('queue_depth'))).toEqual([
        '{"__name__":"queue_depth","instance":"127.0.0.1:9100","job":"api","queue":"a b,c"} -2.5',
      ]);
      expect(flat(await q('rpc_seconds_bucket')).map((s) => s.replace(/^.*"le":"([^"]+)".* (\S+)$/, '$1=$2'))).toEqual([
        '+Inf=6',
        '0.1=3',
        '1=5',
      ]);
      // Rank 4.5 of 6 lies in (0.1, 1] holding samples 4 and 5: 0.1 + 0.9 * 1.5 / 2.
      expect(Number((await q('histogram_quantile(0.75, rpc_seconds_bucket)'))[0]?.value[1])).toBeCloseTo(0.775, 9);
      expect((await q('gc_seconds_sum'))[0]?.value[1]).toBe('12.5');
      expect((await q('gc_seconds{quantile="0.99"}'))[0]?.value[1]).toBe('+Inf');
    }
  });

  it('ends a series in Prometheus with a staleness marker: the instant query no longer returns it', async () => {
    const t = Date.now() - 3000;
    const out = remoteWriteSinks([{ url: prometheus.remoteWriteUrl, name: 'prometheus' }]);
    const family = (labels: Record<string, string>[]) => [
      { name: 'pods_running', type: 'gauge' as const, samples: labels.map((l) => ({ labels: l, value: 1 })) },
    ];
    out.push(scrapeBatch({ job: 'stale', timestampMs: t, families: family([{ pod: 'a' }, { pod: 'b' }]) }));
    await until(async () => (await prometheus.query('pods_running{job="stale"}')).length === 2, 'both series present');
    out.push(
      scrapeBatch({
        job: 'stale',
        timestampMs: t + 1000,
        families: family([{ pod: 'a' }]),
        stale: [{ name: 'pods_running', labels: { pod: 'b' }, value: 1 }],
      }),
    );
    const left = await eventually(
      () => prometheus.query('pods_running{job="stale"}'),
      (r) => r.length === 1,
      'pod b ended',
    );
    expect(left[0]?.metric.pod).toBe('a');
    await out.close();
  });

  it('counts a request the receiver refuses with 400 (out-of-order sample) once, and does not retry it', async () => {
    const t = Date.now() - 1000;
    const out = remoteWriteSinks([
      {
        url: prometheus.remoteWriteUrl,
        name: 'prometheus',
        retry: { attempts: 50, initialBackoffMs: 10, maxBackoffMs: 20 },
      },
    ]);
    const one = (ts: number, value: number) =>
      scrapeBatch({
        job: 'ooo',
        timestampMs: ts,
        families: [{ name: 'ooo_gauge', type: 'gauge', samples: [{ value }] }],
      });
    out.push(one(t, 1));
    await until(async () => (await out.value('prometheus', sinkMetricNames.samplesSent)) === 1, 'first sample sent');
    out.push(one(t - 60_000, 2));
    await until(
      async () => (await out.value('prometheus', sinkMetricNames.samplesDropped, { reason: 'rejected' })) === 1,
      'refused sample counted',
    );
    expect(await out.value('prometheus', sinkMetricNames.writeErrors, { reason: 'status_400' })).toBe(1);
    expect(out.records.find((r) => r.reason === 'rejected')?.err?.message).toMatch(/HTTP 400: out of order sample/);
    expect(flat(await prometheus.query('ooo_gauge')).map((s) => s.split(' ')[1])).toEqual(['1']);
    await out.close();
  });

  it('while a receiver is down, holds at most its capacity, drops the oldest with a counter, and resumes when it is back', async () => {
    const t = Date.now() - 30_000;
    const out = remoteWriteSinks([
      {
        url: vm.remoteWriteUrl,
        name: 'vm',
        maxSamplesPerRequest: 5,
        queueCapacity: 10,
        retry: { attempts: 1000, initialBackoffMs: 50, maxBackoffMs: 200 },
      },
    ]);
    const batch = (n: number) =>
      scrapeBatch({
        job: 'outage',
        timestampMs: t + n * 1000,
        families: [
          {
            name: 'rw_seq',
            type: 'gauge',
            samples: Array.from({ length: 5 }, (_, i) => ({ labels: { i: String(i) }, value: n })),
          },
        ],
      });
    await vm.process.stop();
    out.push(batch(1));
    await until(
      async () => (await out.value('vm', sinkMetricNames.writeErrors, { reason: 'connection' })) > 0,
      'first request failing',
    );
    let largest = 0;
    for (let n = 2; n <= 12; n++) {
      out.push(batch(n));
      largest = Math.max(largest, await out.value('vm', sinkMetricNames.queueSamples));
    }
    expect(largest).toBe(10);
    expect(await out.value('vm', sinkMetricNames.samplesDropped, { reason: 'queue_full' })).toBe(45);
    await vm.process.start();
    await until(async () => (await out.value('vm', sinkMetricNames.samplesSent)) === 15, 'delivery resumed', 30_000);
    await vm.flush();
    const values = await eventually(
      () => vm.query('count_over_time(rw_seq{i="0"}[1m])'),
      (r) => r.length > 0,
      'rw_seq stored',
    );
    expect(values[0]?.value[1]).toBe('3');
    await out.close();
  });
});

describe('remote_write output over TLS with basic authentication (real VictoriaMetrics with -tls and -httpAuth)', () => {
  let vm: VictoriaMetricsServer;
  let dir: string;
  let caFile: string;
  let passwordFile: string;
  const username = 'writer';
  const password = randomBytes(12).toString('hex');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'watchkeeper-rw-tls-'));
    const pki = await Pki.create(dir);
    const serving = await pki.issue({
      name: 'vm',
      commonName: 'victoria-metrics',
      altNames: ['IP:127.0.0.1'],
      usage: 'server',
    });
    caFile = pki.caFile;
    passwordFile = join(dir, 'password');
    await writeFile(passwordFile, `${password}\n`);
    vm = await startVictoriaMetrics({ tls: { ...serving, caFile }, basicAuth: { username, password } });
  });
  afterAll(async () => {
    await vm?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('delivers with the CA and the password file, and never logs the password', async () => {
    const out = remoteWriteSinks([
      { url: vm.remoteWriteUrl, name: 'vm', tls: { caFile }, basicAuth: { username, passwordFile } },
    ]);
    out.push(
      scrapeBatch({
        job: 'secure',
        timestampMs: Date.now() - 1000,
        families: [{ name: 'secure_gauge', type: 'gauge', samples: [{ value: 42 }] }],
      }),
    );
    await out.close();
    expect(await out.value('vm', sinkMetricNames.samplesSent)).toBe(1);
    await vm.flush();
    const stored = await eventually(
      () => vm.query('secure_gauge{job="secure"}'),
      (r) => r.length > 0,
      'secure_gauge stored',
    );
    expect(stored[0]?.value[1]).toBe('42');
    expect(JSON.stringify(out.records)).not.toContain(password);
  });

  it('counts a server certificate it cannot verify as a tls error and gives up after the configured attempts', async () => {
    const out = remoteWriteSinks([
      {
        url: vm.remoteWriteUrl,
        name: 'vm',
        basicAuth: { username, passwordFile },
        retry: { attempts: 2, initialBackoffMs: 10, maxBackoffMs: 20 },
      },
    ]);
    out.push(
      scrapeBatch({
        job: 'untrusted',
        timestampMs: Date.now(),
        families: [{ name: 'g', type: 'gauge', samples: [{ value: 1 }] }],
      }),
    );
    await until(
      async () => (await out.value('vm', sinkMetricNames.samplesDropped, { reason: 'retries_exhausted' })) === 1,
      'given up',
    );
    expect(await out.value('vm', sinkMetricNames.writeErrors, { reason: 'tls' })).toBe(2);
    await out.close();
  });

  it('counts a wrong password as refused (401) after one attempt', async () => {
    const out = remoteWriteSinks([
      { url: vm.remoteWriteUrl, name: 'vm', tls: { caFile }, basicAuth: { username, password: 'wrong-password' } },
    ]);
    out.push(
      scrapeBatch({
        job: 'denied',
        timestampMs: Date.now(),
        families: [{ name: 'g', type: 'gauge', samples: [{ value: 1 }] }],
      }),
    );
    await until(
      async () => (await out.value('vm', sinkMetricNames.samplesDropped, { reason: 'rejected' })) === 1,
      'refused',
    );
    expect(await out.value('vm', sinkMetricNames.writeErrors, { reason: 'status_401' })).toBe(1);
    expect(JSON.stringify(out.records)).not.toContain('wrong-password');
    await out.close();
  });
});
