// The exposition parser against real bodies: captured from the servers of test/env (node_exporter,
// etcd, kube-apiserver with the admin client certificate, kube-scheduler, kube-controller-manager,
// Prometheus itself), in the text format and in OpenMetrics wherever the server offers it, plus the
// reference fixtures. Each body is parsed whole and in small chunks, and served on loopback to
// Debian's Prometheus, whose stored series, values and metadata are the reference for ours.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFromContentType, scrapeAcceptHeader } from '../../collectors/metrics/scrape/parse/content-type.ts';
import { ExpositionParser } from '../../collectors/metrics/scrape/parse/parser.ts';
import type { ExpositionFormat, FamilyMeta, Sample } from '../../collectors/metrics/types.ts';
import {
  startCluster,
  startNodeExporter,
  startPrometheus,
  type Cluster,
  type NodeExporter,
  type PrometheusServer,
} from '../env/index.ts';
import { eventually } from '../support/eventually.ts';

const openMetricsAccept = 'application/openmetrics-text;version=1.0.0';
const textAccept = 'text/plain;version=0.0.4';
const referenceDir = join(import.meta.dirname, '../fixtures/metrics/reference');
/** Series Prometheus adds to every scrape, not part of a body. */
const synthetic = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
]);

interface Body {
  name: string;
  contentType: string;
  bytes: Buffer;
}
interface Parsed {
  samples: Sample[];
  families: Map<string, FamilyMeta>;
}

/** GET with an Accept header (and a client certificate for the API server); the body as bytes. */
interface Tls {
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
}

function fetchBody(url: string, accept: string, tls: Tls = {}): Promise<{ contentType: string; bytes: Buffer }> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        headers: { accept },
        timeout: 10_000,
        ...(url.startsWith('https:')
          ? {
              ca: tls.ca ? readFileSync(tls.ca) : undefined,
              cert: tls.cert ? readFileSync(tls.cert) : undefined,
              key: tls.key ? readFileSync(tls.key) : undefined,
              rejectUnauthorized: !tls.insecure,
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve({ contentType: String(res.headers['content-type']), bytes: Buffer.concat(chunks) })
            : reject(new Error(`GET ${url}: HTTP ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function parse(format: ExpositionFormat, chunks: Uint8Array[]): Parsed {
  const samples: Sample[] = [];
  const families = new Map<string, FamilyMeta>();
  const parser = new ExpositionParser(format, {
    sample: (s, f) => {
      samples.push(s);
      families.set(f.name, f);
    },
  });
  for (const chunk of chunks) parser.write(chunk);
  parser.end();
  return { samples, families };
}

function formatOf(body: Body): ExpositionFormat {
  const format = formatFromContentType(body.contentType);
  if (format === undefined) throw new Error(`${body.name}: unexpected Content-Type ${body.contentType}`);
  return format;
}

/**
 * Series key without job and instance, which Prometheus attaches, and without empty label values,
 * which Prometheus's data model treats as absent (the parser reports what the line says).
 */
function seriesKey(name: string, labels: Record<string, string>): string {
  const pairs = Object.entries(labels)
    .filter(([k, v]) => k !== 'job' && k !== 'instance' && k !== '__name__' && v !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `${name}${JSON.stringify(pairs)}`;
}

/** A prom-client registry with every metric type, labels that need escaping, observations made. */
async function promClientRegistry(
  contentType: typeof Registry.PROMETHEUS_CONTENT_TYPE | typeof Registry.OPENMETRICS_CONTENT_TYPE,
): Promise<Registry<typeof contentType>> {
  const registry = new Registry<typeof contentType>();
  registry.setContentType(contentType);
  const counter = new Counter({
    name: 'pc_jobs_total',
    help: 'Jobs done, "quoted" and \\ escaped.',
    labelNames: ['queue', 'note'],
    registers: [registry],
  });
  counter.inc({ queue: 'a\\b', note: 'line\nbreak "q"' }, 3);
  counter.inc({ queue: 'ü ☃', note: '' }, 1.5);
  const gauge = new Gauge({
    name: 'pc_temperature_celsius',
    help: 'Temperature.',
    labelNames: ['room'],
    registers: [registry],
  });
  gauge.set({ room: 'a' }, -4.25);
  gauge.set({ room: 'b' }, Infinity);
  const histogram = new Histogram({
    name: 'pc_latency_seconds',
    help: 'Latency.',
    labelNames: ['path'],
    buckets: [0.1, 1, 10],
    registers: [registry],
  });
  for (const v of [0.05, 0.5, 5, 50]) histogram.observe({ path: '/x' }, v);
  const summary = new Summary({
    name: 'pc_size_bytes',
    help: 'Sizes.',
    percentiles: [0.5, 0.9],
    registers: [registry],
  });
  for (const v of [10, 20, 30]) summary.observe(v);
  await Promise.resolve();
  return registry;
}

function promValue(text: string): number {
  return text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
}

describe('exposition parser on real bodies, with Debian Prometheus as the reference', () => {
  let cluster: Cluster;
  let exporter: NodeExporter;
  let prometheus: PrometheusServer;
  let bodyServer: Server;
  const bodies = new Map<string, Body>();
  const jobs = [
    'node-exporter',
    'etcd',
    'kube-apiserver',
    'kube-scheduler',
    'kube-controller-manager',
    'prometheus',
    'prom-client',
    'reference',
  ];
  const names = jobs.flatMap((job) => [`${job}-text`, `${job}-openmetrics`]);

  beforeAll(async () => {
    bodyServer = createServer((req, res) => {
      const body = bodies.get(req.url?.replace('/body/', '') ?? '');
      if (body === undefined) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': body.contentType }).end(body.bytes);
    });
    await new Promise<void>((resolve) => bodyServer.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(bodyServer.address() as AddressInfo).port}`;
    [cluster, exporter, prometheus] = await Promise.all([
      startCluster({ nodes: 1 }),
      startNodeExporter(),
      startPrometheus({
        scrapeConfigs: names.map((name) => ({
          job_name: `ref-${name}`,
          metrics_path: `/body/${name}`,
          honor_labels: true,
          static_configs: [{ targets: [target] }],
        })),
      }),
    ]);
    const admin = { ca: cluster.caFile, cert: cluster.adminClientCert.certFile, key: cluster.adminClientCert.keyFile };
    const sources: Record<string, { url: string; tls?: Parameters<typeof fetchBody>[2] }> = {
      'node-exporter': { url: exporter.metricsUrl },
      etcd: { url: `${cluster.etcd.metricsUrl}/metrics` },
      'kube-apiserver': { url: `${cluster.server}/metrics`, tls: admin },
      'kube-scheduler': { url: cluster.metricsUrls['kube-scheduler'], tls: { insecure: true } },
      'kube-controller-manager': { url: cluster.metricsUrls['kube-controller-manager'], tls: { insecure: true } },
      prometheus: { url: `${prometheus.url}/metrics` },
    };
    for (const [job, source] of Object.entries(sources)) {
      for (const accept of [textAccept, openMetricsAccept]) {
        const { contentType, bytes } = await fetchBody(source.url, accept, source.tls);
        const format = formatFromContentType(contentType);
        // A server that does not offer OpenMetrics answers in the text format: keep that body once.
        if (format === undefined || bodies.has(`${job}-${format}`)) continue;
        bodies.set(`${job}-${format}`, { name: `${job}-${format}`, contentType, bytes });
      }
    }
    const promClientTypes = [
      ['text', Registry.PROMETHEUS_CONTENT_TYPE],
      ['openmetrics', Registry.OPENMETRICS_CONTENT_TYPE],
    ] as const;
    for (const [format, contentType] of promClientTypes) {
      const bytes = Buffer.from(await (await promClientRegistry(contentType)).metrics());
      bodies.set(`prom-client-${format}`, { name: `prom-client-${format}`, contentType, bytes });
    }
    bodies.set('reference-text', {
      name: 'reference-text',
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      bytes: readFileSync(join(referenceDir, 'reference.txt')),
    });
    bodies.set('reference-openmetrics', {
      name: 'reference-openmetrics',
      contentType: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
      bytes: readFileSync(join(referenceDir, 'reference.om')),
    });
  });

  afterAll(async () => {
    await Promise.all([
      cluster?.stop(),
      exporter?.stop(),
      prometheus?.stop(),
      new Promise((resolve) => bodyServer?.close(resolve)),
    ]);
  });

  it('captured a body from every server, and OpenMetrics from prom-client and the reference fixture', () => {
    for (const job of jobs) expect(bodies.has(`${job}-text`), `${job} in the text format`).toBe(true);
    // None of this environment's servers offers OpenMetrics (each answered text/plain to an
    // OpenMetrics Accept header); prom-client's registry and the reference fixture do.
    expect(bodies.has('prom-client-openmetrics') && bodies.has('reference-openmetrics')).toBe(true);
    expect(scrapeAcceptHeader.startsWith(openMetricsAccept)).toBe(true);
  });

  it('parses every body whole and in small chunks to the same samples, with the families a reader expects', () => {
    for (const body of bodies.values()) {
      const format = formatOf(body);
      const whole = parse(format, [body.bytes]);
      expect(whole.samples.length, body.name).toBeGreaterThan(10);
      const chunks: Buffer[] = [];
      for (let i = 0, size = 1; i < body.bytes.length; i += size, size = ((size * 7) % 13) + 1) {
        chunks.push(body.bytes.subarray(i, i + size));
      }
      expect(parse(format, chunks).samples, `${body.name} in chunks of 1-13 bytes`).toEqual(whole.samples);
    }
    const apiserver = parse('text', [bodies.get('kube-apiserver-text')!.bytes]);
    expect(apiserver.families.get('apiserver_request_total')?.type).toBe('counter');
    expect(apiserver.families.get('apiserver_request_duration_seconds')?.type).toBe('histogram');
    const buckets = apiserver.samples.filter((s) => s.name === 'apiserver_request_duration_seconds_bucket');
    expect(buckets.length).toBeGreaterThan(0);
    expect(buckets.every((s) => typeof s.labels.le === 'string')).toBe(true);
    const etcd = parse('text', [bodies.get('etcd-text')!.bytes]);
    expect(etcd.families.get('go_gc_duration_seconds')?.type).toBe('summary');
    const ownOm = parse('openmetrics', [bodies.get('prom-client-openmetrics')!.bytes]);
    // OpenMetrics names a counter family without _total; its samples carry it.
    const counter = [...ownOm.families.values()].find((f) => f.type === 'counter')!;
    expect(counter.name.endsWith('_total')).toBe(false);
    expect(ownOm.samples.some((s) => s.name === `${counter.name}_total`)).toBe(true);
  });

  it('yields exactly the series, values and metadata Prometheus stored from each body', async () => {
    for (const body of bodies.values()) {
      const job = `ref-${body.name}`;
      const { samples, families } = parse(formatOf(body), [body.bytes]);
      const up = (r: { value: [number, string] }[]): boolean => r[0]?.value[1] === '1';
      await eventually(() => prometheus.query(`up{job="${job}"}`), up, `${job} scraped by Prometheus`);
      const ours = new Map<string, number>();
      for (const s of samples) {
        const key = seriesKey(s.name, s.labels);
        if (!ours.has(key)) ours.set(key, s.value);
      }
      const stored = await prometheus.query(`{job="${job}"}`);
      const theirs = new Map<string, number>();
      for (const r of stored) {
        const name = r.metric.__name__!;
        if (!synthetic.has(name)) theirs.set(seriesKey(name, r.metric), promValue(r.value[1]));
      }
      expect([...ours.keys()].sort(), `${body.name}: series`).toEqual([...theirs.keys()].sort());
      for (const [key, value] of ours) expect(theirs.get(key), `${body.name}: ${key}`).toBe(value);

      const metadata = await prometheus.api<{ metric: string; type: string; help: string; unit: string }[]>(
        `/api/v1/targets/metadata?match_target=${encodeURIComponent(`{job="${job}"}`)}`,
      );
      expect(metadata.length, `${body.name}: Prometheus metadata`).toBeGreaterThan(0);
      let compared = 0;
      for (const meta of metadata) {
        const family = families.get(meta.metric);
        if (family === undefined) continue; // declared in the body but without samples: we report families of samples
        compared++;
        const type = family.type === 'untyped' ? 'unknown' : family.type;
        expect(
          { type, help: family.help ?? '', unit: family.unit ?? '' },
          `${body.name}: family ${meta.metric}`,
        ).toEqual({ type: meta.type, help: meta.help, unit: meta.unit });
      }
      expect(compared, `${body.name}: families compared with Prometheus metadata`).toBeGreaterThan(metadata.length / 2);
      process.stdout.write(`${body.name}: ${ours.size} series and ${compared} families as Prometheus stored them\n`);
    }
  });
});
