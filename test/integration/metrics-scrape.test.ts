import { spawnSync } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposition } from '../../core/http/exposition.ts';
import { createLogger } from '../../core/log.ts';
import { metricsSection, type StaticJobConfig } from '../../collectors/metrics/config.ts';
import { scrapeMetricNames } from '../../collectors/metrics/metrics.ts';
import { ScrapeEngine } from '../../collectors/metrics/scrape/engine.ts';
import { settingsOfStaticJob } from '../../collectors/metrics/scrape/scrape-settings.ts';
import { staticJobRelabeling } from '../../collectors/metrics/job-relabeling.ts';
import { StaticTargetSource } from '../../collectors/metrics/static-source.ts';
import { parseSeriesKey } from '../../collectors/metrics/scrape/series-key.ts';
import { batchSampleLabels } from '../../collectors/metrics/target-labels.ts';
import type { MetricsSink, ScrapeBatch, TargetLabels, TargetSource } from '../../collectors/metrics/types.ts';
import {
  Pki,
  startCluster,
  startEtcd,
  startNodeExporter,
  startVictoriaMetrics,
  type Cluster,
  type EtcdServer,
  type NodeExporter,
  type VictoriaMetricsServer,
} from '../env/index.ts';
import { eventually, until } from '../support/eventually.ts';

const main = join(import.meta.dirname, '../../cli/main.ts');
const logger = createLogger({ level: 'silent', format: 'json' });

/** One static job as a user writes it, with the schema's defaults. */
function job(raw: Record<string, unknown>): StaticJobConfig {
  return metricsSection.parse({ jobs: [{ interval: '1s', timeout: '1s', ...raw }] }).jobs[0]!;
}

/** A target source whose targets the test changes (what Kubernetes discovery does). */
class ListSource implements TargetSource {
  readonly job: string;
  private onChange: ((targets: readonly TargetLabels[]) => void) | undefined;
  private targets: TargetLabels[];
  constructor(job: string, targets: TargetLabels[]) {
    this.job = job;
    this.targets = targets;
  }
  set(targets: TargetLabels[]): void {
    this.targets = targets;
    this.onChange?.(targets);
  }
  start(onChange: (targets: readonly TargetLabels[]) => void): Promise<void> {
    this.onChange = onChange;
    onChange(this.targets);
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** Keeps every batch the engine pushes: what a sink receives. */
class KeepingSink implements MetricsSink {
  readonly name = 'keeping';
  readonly batches: ScrapeBatch[] = [];
  push(batch: ScrapeBatch): void {
    this.batches.push(batch);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const matching = values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return matching.reduce((sum, v) => sum + v.value, 0);
}

/** Starts a loopback HTTP server for fault injection (what no real exporter does on purpose). */
async function faultServer(handler: (res: ServerResponse) => void): Promise<{ server: Server; target: string }> {
  const server = createServer((_req, res) => handler(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, target: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('scrape engine against the real servers of test/env', () => {
  let cluster: Cluster;
  let etcd: EtcdServer;
  let exporter: NodeExporter;
  let dir: string;
  let serviceAccountToken: string;

  beforeAll(async () => {
    [cluster, etcd, exporter, dir] = await Promise.all([
      startCluster({ nodes: 1 }),
      startEtcd({ tls: true }),
      startNodeExporter(),
      mkdtemp(join(tmpdir(), 'wk-scrape-')),
    ]);
    // A service account allowed to read /metrics, as a collector in a cluster runs.
    const created = await Promise.all([
      cluster.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'metrics-reader' } }),
      cluster.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
        metadata: { name: 'metrics-reader' },
        rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
      }),
      cluster.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        metadata: { name: 'metrics-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'metrics-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'metrics-reader', namespace: 'default' }],
      }),
    ]);
    expect(created.map((r) => r.status)).toEqual([201, 201, 201]);
    const token = await cluster.request('POST', '/api/v1/namespaces/default/serviceaccounts/metrics-reader/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    serviceAccountToken = (JSON.parse(token.body) as { status: { token: string } }).status.token;
  });

  afterAll(async () => {
    await Promise.all([cluster?.stop(), etcd?.stop(), exporter?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'scrapes node_exporter, etcd with client certificates, kube-apiserver with a rotated service-account token, ' +
      'scheduler and controller-manager',
    async () => {
      const tokenFile = join(dir, 'token');
      await writeFile(tokenFile, `${cluster.restrictedToken}\n`);
      const apiserver = new URL(cluster.server);
      const selfSigned = { insecureSkipVerify: true };
      const registry = new Registry();
      const engine = new ScrapeEngine({
        registry,
        logger,
        limits: { seriesPerTarget: 200_000, seriesTotal: 1_000_000 },
      });
      const jobs = [
        job({ job: 'node', targets: [exporter.target] }),
        job({ job: 'etcd', targets: [etcd.endpoints[0]!.replace('https://', '')], scheme: 'https', tls: etcd.tls }),
        job({
          job: 'kube-apiserver',
          targets: [apiserver.host],
          scheme: 'https',
          tls: { caFile: cluster.caFile },
          bearerTokenFile: tokenFile,
        }),
        job({ job: 'kube-scheduler', targets: [cluster.metricsUrls['kube-scheduler']], tls: selfSigned }),
        job({
          job: 'kube-controller-manager',
          targets: [cluster.metricsUrls['kube-controller-manager']],
          tls: selfSigned,
        }),
      ];
      for (const j of jobs) engine.addJob(settingsOfStaticJob(j), new StaticTargetSource(j));
      await engine.start();
      try {
        const health = (name: string) => engine.targets().find((t) => t.job === name);
        // The restricted user is authenticated but may not read /metrics: refused.
        const refused = await eventually(
          () => health('kube-apiserver'),
          (t) => t?.health === 'down',
          'API server refusing the restricted token',
        );
        expect(refused?.lastError).toContain('HTTP 403');
        // The token file is rotated to the service account's token: the next scrape uses it.
        await writeFile(tokenFile, serviceAccountToken);
        await until(() => engine.targets().every((t) => t.health === 'up'), 'every target up', 30_000);

        const text = (await exposition(registry, false)).body;
        const etcdInstance = etcd.endpoints[0]!.replace('https://', '');
        expect(text).toMatch(new RegExp(`^etcd_server_has_leader\\{job="etcd",instance="${etcdInstance}"\\} 1$`, 'm'));
        expect(text).toMatch(new RegExp(`^up\\{job="kube-apiserver",instance="${apiserver.host}"\\} 1$`, 'm'));
        expect(text).toMatch(/^apiserver_request_total\{.*job="kube-apiserver".*\} \d+/m);
        expect(text).toMatch(/^scheduler_[a-z_]+(\{.*job="kube-scheduler".*\})? /m);
        expect(text).toMatch(/^workqueue_adds_total\{.*job="kube-controller-manager".*\} \d+/m);
        const idle = `node_cpu_seconds_total\\{cpu="0",mode="idle",job="node",instance="${exporter.target}"\\}`;
        expect(text).toMatch(new RegExp(`^${idle} \\d`, 'm'));
        expect(await metricValue(registry, scrapeMetricNames.targets, { state: 'up' })).toBe(5);
        const refusals = await metricValue(registry, scrapeMetricNames.scrapeErrors, {
          scrape_job: 'kube-apiserver',
          reason: 'http_status',
        });
        expect(refusals).toBeGreaterThan(0);
        const om = await exposition(registry, true);
        expect(om.body).toMatch(/^# TYPE apiserver_request counter$/m);
        expect(om.body.endsWith('# EOF\n')).toBe(true);
      } finally {
        await engine.stop();
      }
    },
  );

  it(
    'is refused by etcd without a client certificate and by the API server without a token ' +
      '(metrics scrape exits 1 with the reason)',
    () => {
      const scrape = (...args: string[]) =>
        spawnSync(process.execPath, [main, 'metrics', 'scrape', ...args], {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
      const etcdUrl = `${etcd.endpoints[0]!}/metrics`;
      const noCert = scrape(etcdUrl, '--ca-file', etcd.tls!.caFile);
      expect(noCert.status).toBe(1);
      expect(noCert.stderr).toMatch(/scrape failed \((tls|connection)\)/);
      const noToken = scrape(`${cluster.server}/metrics`, '--ca-file', cluster.caFile);
      expect(noToken.status).toBe(1);
      expect(noToken.stderr).toMatch(/scrape failed \(http_status\): .*HTTP 40[13]/);
      const withCert = scrape(
        etcdUrl,
        '-o',
        'json',
        '--ca-file',
        etcd.tls!.caFile,
        '--cert-file',
        etcd.tls!.certFile,
        '--key-file',
        etcd.tls!.keyFile,
      );
      expect(withCert.status).toBe(0);
      const samples = withCert.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { name: string; value: unknown });
      expect(samples.find((s) => s.name === 'etcd_server_has_leader')?.value).toBe(1);
    },
  );
});

describe('scrape engine under faults, with node_exporter as the healthy target', () => {
  let exporter: NodeExporter;
  const servers: Server[] = [];

  beforeAll(async () => {
    exporter = await startNodeExporter();
  });

  afterAll(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await exporter?.stop();
  });

  it(
    'counts and bounds a hanging target, a garbage body, a 100 MB body and a label explosion while a healthy target ' +
      'keeps its schedule',
    async () => {
      const hanging = await faultServer(() => {
        /* never answers */
      });
      const garbage = await faultServer((res) => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('this is {not an exposition\n\u0000\u0001');
      });
      let hugeBytesSent = 0;
      const huge = await faultServer((res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        const line = Buffer.from(`huge_metric{padding="${'x'.repeat(100)}"} 1\n`);
        const chunk = Buffer.concat(Array.from({ length: 512 }, () => line));
        const write = (): void => {
          while (hugeBytesSent < 100 * 1024 * 1024 && !res.destroyed) {
            hugeBytesSent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', write);
              return;
            }
          }
          res.end();
        };
        write();
      });
      let explosion = 0;
      const exploding = await faultServer((res) => {
        const lines = Array.from({ length: 2000 }, () => `exploding{id="${explosion++}"} 1`);
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`${lines.join('\n')}\n`);
      });
      servers.push(hanging.server, garbage.server, huge.server, exploding.server);

      const registry = new Registry();
      const engine = new ScrapeEngine({ registry, logger, limits: { seriesPerTarget: 1000, seriesTotal: 1_000_000 } });
      const jobs = [
        job({ job: 'node', targets: [exporter.target] }),
        job({ job: 'hanging', targets: [hanging.target], timeout: '800ms' }),
        job({ job: 'garbage', targets: [garbage.target] }),
        job({ job: 'huge', targets: [huge.target], bodySizeLimitBytes: 1024 * 1024 }),
        job({ job: 'exploding', targets: [exploding.target] }),
      ];
      for (const j of jobs) engine.addJob(settingsOfStaticJob(j), new StaticTargetSource(j));
      await engine.start();
      try {
        const target = (name: string) => engine.scrapeTargets(name)[0]!;
        const scrapes = (name: string) => target(name).scrapes;
        await until(
          () => scrapes('hanging') >= 4 && scrapes('huge') >= 3 && scrapes('exploding') >= 3,
          'faulty targets scraped 3-4 times',
        );
        // Every hanging scrape ended at its timeout and the healthy target was never held up by it.
        expect(target('node').scrapes).toBeGreaterThanOrEqual(target('hanging').scrapes - 1);
        expect(target('node').health).toBe('up');
        const errors = (j: string, reason: string) =>
          metricValue(registry, scrapeMetricNames.scrapeErrors, { scrape_job: j, reason });
        expect(await errors('hanging', 'timeout')).toBeGreaterThanOrEqual(4);
        expect(await errors('garbage', 'parse')).toBeGreaterThanOrEqual(1);
        expect(target('garbage').lastError).toMatch(/line 1/);
        expect(await errors('huge', 'body_too_large')).toBeGreaterThanOrEqual(3);
        // The body was cut off while streaming: far less than 3 x 100 MB left the server.
        expect(hugeBytesSent).toBeLessThan(3 * 20 * 1024 * 1024);
        // The label explosion: the target stays up, holds at most its limit, and the rest is counted.
        expect(target('exploding').health).toBe('up');
        expect(target('exploding').seriesCount).toBeLessThanOrEqual(1000);
        const dropped = await metricValue(registry, scrapeMetricNames.seriesDropped, {
          scrape_job: 'exploding',
          reason: 'target_limit',
        });
        expect(dropped).toBeGreaterThanOrEqual(1000);
        const text = (await exposition(registry, false)).body;
        expect(text).toMatch(new RegExp(`^up\\{job="hanging",instance="${hanging.target}"\\} 0$`, 'm'));
        expect(text).not.toContain('huge_metric');
      } finally {
        await engine.stop();
      }
    },
  );

  it(
    "fails a scrape over sampleLimit as a whole, and removes a target's series from /metrics and marks them stale " +
      'when it goes away',
    async () => {
      const registry = new Registry();
      const sink = new KeepingSink();
      const limits = { seriesPerTarget: 200_000, seriesTotal: 1_000_000 };
      const engine = new ScrapeEngine({ registry, logger, limits, sinks: [sink] });
      const node = job({ job: 'node', targets: [exporter.target] });
      const limited = job({ job: 'limited', targets: [exporter.target], sampleLimit: 10 });
      const relabeled = job({
        job: 'relabeled',
        targets: [exporter.target],
        metricRelabelConfigs: [
          { source_labels: ['__name__'], regex: 'node_cpu_.*', action: 'drop' },
          { source_labels: ['job'], target_label: 'origin', replacement: 'from-$1' },
        ],
      });
      const source = new ListSource('node', new StaticTargetSource(node).targets());
      engine.addJob(settingsOfStaticJob(node), source);
      engine.addJob(settingsOfStaticJob(limited), new StaticTargetSource(limited));
      engine.addJob(settingsOfStaticJob(relabeled), new StaticTargetSource(relabeled), staticJobRelabeling(relabeled));
      await engine.start();
      try {
        const scrapes = (name: string) => engine.scrapeTargets(name)[0]!.scrapes;
        await until(
          () => scrapes('node') >= 1 && scrapes('limited') >= 1 && scrapes('relabeled') >= 1,
          'first scrapes',
        );
        const limitedTarget = engine.scrapeTargets('limited')[0]!;
        expect(limitedTarget.health).toBe('down');
        expect(limitedTarget.lastError).toContain('sampleLimit');
        expect(limitedTarget.seriesCount).toBe(0);
        const limitErrors = await metricValue(registry, scrapeMetricNames.scrapeErrors, {
          scrape_job: 'limited',
          reason: 'sample_limit',
        });
        expect(limitErrors).toBeGreaterThanOrEqual(1);
        const before = (await exposition(registry, false)).body;
        expect(before).toMatch(/^node_load1\{job="node",/m);
        // Metric relabeling saw the target labels (job) and dropped node_cpu_* before they were stored.
        expect(before).toMatch(/^node_load1\{origin="from-relabeled",job="relabeled",/m);
        expect(before).toMatch(/^node_cpu_seconds_total\{.*job="node"/m);
        expect(before).not.toMatch(/^node_cpu_seconds_total\{.*job="relabeled"/m);
        expect(before).toMatch(/^scrape_samples_post_metric_relabeling\{job="relabeled",.*\} \d+$/m);
        const seriesBefore = engine.scrapeTargets('node')[0]!.seriesCount;
        expect(seriesBefore).toBeGreaterThan(100);

        source.set([]);
        // Scraped series carry job and instance; the engine's own metrics (job only) stay.
        await until(
          async () => !(await exposition(registry, false)).body.includes('job="node",instance='),
          'node series gone from /metrics',
        );
        // A batch carries its target labels once; a sink merges them into each series as it writes it.
        const stale = sink.batches
          .flatMap((b) =>
            b.stale.map((key) => parseSeriesKey(key)).map((s) => ({ ...s, labels: batchSampleLabels(b, s.labels) })),
          )
          .filter((s) => s.labels.job === 'node');
        expect(stale.some((s) => s.name === 'node_load1' && s.labels.instance === exporter.target)).toBe(true);
        expect(stale.some((s) => s.name === 'up')).toBe(true);
        expect(stale.length).toBe(seriesBefore + 5);
        expect(await metricValue(registry, scrapeMetricNames.seriesActive, { scrape_job: 'node' })).toBe(0);
        // Stopping (a restart) forgets the other targets' series without marking them stale: no gap after a restart.
        const staleCount = sink.batches.flatMap((b) => b.stale).length;
        await engine.stop();
        expect(sink.batches.flatMap((b) => b.stale).length).toBe(staleCount);
        expect((await exposition(registry, false)).body).not.toContain('job="relabeled",instance=');
      } finally {
        await engine.stop();
      }
    },
  );
});

describe("scrape engine with basic authentication over TLS (VictoriaMetrics' /federate as the target)", () => {
  let vm: VictoriaMetricsServer;
  let dir: string;
  let caFile: string;
  const password = 'correct-horse-battery';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wk-scrape-auth-'));
    const pki = await Pki.create(dir);
    const serving = await pki.issue({
      name: 'vm',
      commonName: 'victoria-metrics',
      altNames: ['IP:127.0.0.1'],
      usage: 'server',
    });
    caFile = pki.caFile;
    vm = await startVictoriaMetrics({ tls: { ...serving, caFile }, basicAuth: { username: 'scraper', password } });
    // A point to federate: VictoriaMetrics' own /metrics is not behind its basic authentication, /federate is.
    const ca = await readFile(caFile);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpsRequest(
        `${vm.influxWriteUrl}?db=wk`,
        {
          method: 'POST',
          ca,
          headers: { authorization: `Basic ${Buffer.from(`scraper:${password}`).toString('base64')}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.once('error', reject);
      req.end('wk_probe,host=a value=42\n');
    });
    expect(status).toBe(204);
    await vm.flush();
  });
  afterAll(async () => {
    await vm?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is refused with a wrong password, then scrapes once the password file is corrected (re-read on change)', async () => {
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, 'wrong\n');
    const registry = new Registry();
    const engine = new ScrapeEngine({ registry, logger, limits: { seriesPerTarget: 100_000, seriesTotal: 100_000 } });
    const federate = `${vm.url}/federate?match[]=wk_probe_value`;
    const vmJob = job({
      job: 'vm',
      targets: [federate],
      tls: { caFile },
      basicAuth: { username: 'scraper', passwordFile },
    });
    engine.addJob(settingsOfStaticJob(vmJob), new StaticTargetSource(vmJob));
    await engine.start();
    try {
      const target = engine.scrapeTargets('vm')[0]!;
      await until(() => target.health === 'down', 'refused with the wrong password');
      expect(target.lastError).toContain('HTTP 401');
      await writeFile(passwordFile, `${password}\n`);
      await until(() => target.health === 'up', 'up with the corrected password');
      expect((await exposition(registry, false)).body).toMatch(/^wk_probe_value\{.*host="a".*job="vm".*\} 42$/m);
    } finally {
      await engine.stop();
    }
    const cli = spawnSync(
      process.execPath,
      [
        main,
        'metrics',
        'scrape',
        federate,
        '--ca-file',
        caFile,
        '--basic-auth-user',
        'scraper',
        '--basic-auth-password-file',
        passwordFile,
        '-o',
        'json',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain('"name":"wk_probe_value"');
    const noCa = spawnSync(
      process.execPath,
      [main, 'metrics', 'scrape', federate, '--basic-auth-user', 'scraper', '--basic-auth-password-file', passwordFile],
      { encoding: 'utf8' },
    );
    expect(noCa.status).toBe(1);
    expect(noCa.stderr).toContain('scrape failed (tls)');
  });
});
