import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  startNodeExporter,
  startPrometheus,
  type NodeExporter,
  type PrometheusServer,
} from '../env/index.ts';
import { startInfluxDB, type InfluxDBServer } from '../env/influxdb.ts';
import { eventually, until } from '../support/eventually.ts';

const main = join(import.meta.dirname, '../../cli/main.ts');

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts a long-running mode as a real child process with its own status port. */
async function startMode(args: string[], port?: number): Promise<Running> {
  port ??= await freePort();
  const sets = ['--set', `server.port=${port}`, '--set', 'server.host=127.0.0.1', '--set', 'log.format=json'];
  const child = spawn(process.execPath, [main, ...args, ...sets], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exit };
}

/** The value of the first line of a text exposition matching `pattern` (whose line ends with the value). */
function exposedValue(text: string, pattern: RegExp): number | undefined {
  const line = text.split('\n').find((l) => pattern.test(l));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('watchkeeper agent and collector with the metrics collectors, as child processes', () => {
  let exporter: NodeExporter;
  let influx: InfluxDBServer;
  let prometheus: PrometheusServer;
  let dir: string;

  beforeAll(async () => {
    [exporter, influx, prometheus, dir] = await Promise.all([
      startNodeExporter(),
      startInfluxDB(),
      startPrometheus({ remoteWriteReceiver: true }),
      mkdtemp(join(tmpdir(), 'wk-metrics-agent-')),
    ]);
  });
  afterAll(async () => {
    await Promise.all([exporter?.stop(), influx?.stop(), prometheus?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'agent: scrapes a target, exposes its samples at /metrics (text and OpenMetrics) and writes them to InfluxDB ' +
      'and Prometheus remote_write',
    async () => {
      const tokenFile = join(dir, 'influx-token');
      await writeFile(tokenFile, influx.token, { mode: 0o600 });
      const config = join(dir, 'agent.yaml');
      await writeFile(
        config,
        stringify({
          logs: {
            dataDir: join(dir, 'logs'),
            directory: { path: join(dir, 'logs-out') },
            containers: { paths: [join(dir, 'pods/*/*/*.log')] },
            enrichFromApi: false,
          },
          metrics: {
            enabled: true,
            jobs: [{ job: 'node', targets: [exporter.target], interval: '1s', timeout: '1s', labels: { env: 'test' } }],
            sinks: {
              influxdb: { enabled: true, url: influx.url, tokenFile, bucket: influx.bucket, flushIntervalMs: 200 },
              remoteWrite: [{ url: prometheus.remoteWriteUrl, flushIntervalMs: 200 }],
            },
          },
        }),
      );
      const agent = await startMode(['agent', '-c', config]);
      try {
        await until(async () => (await fetch(`${agent.url}/readyz`)).status === 200, 'agent ready', 30_000).catch(
          (error: unknown) => {
            throw new Error(`${String(error)}\n${agent.output()}`);
          },
        );
        const labels = `job="node",instance="${exporter.target}",env="test"`;
        const series = new RegExp(`^node_memory_MemTotal_bytes\\{${labels}\\} `, 'm');
        const text = await eventually(
          async () => (await fetch(`${agent.url}/metrics`)).text(),
          (t) => series.test(t),
          "MemTotal at the agent's /metrics",
        );
        const memTotal = exposedValue(text, series);
        expect(memTotal).toBeGreaterThan(0);
        expect(text).toMatch(new RegExp(`^up\\{job="node",instance="${exporter.target}",env="test"\\} 1$`, 'm'));
        expect(text).toMatch(/^watchkeeper_metrics_targets\{scrape_job="node",state="up"\} 1$/m);
        const accept = 'application/openmetrics-text;version=1.0.0';
        const om = await fetch(`${agent.url}/metrics`, { headers: { accept } });
        expect(om.headers.get('content-type')).toContain('application/openmetrics-text');
        expect(await om.text()).toMatch(/^# TYPE node_cpu_seconds counter$/m);

        const fromInflux = await eventually(
          () =>
            influx.query(
              'SELECT last("gauge") FROM "node_memory_MemTotal_bytes" ' +
                `WHERE "instance" = '${exporter.target}' AND "env" = 'test'`,
            ),
          (r) => r.length > 0,
          'MemTotal in InfluxDB',
        );
        expect(fromInflux[0]!.values[0]![1]).toBe(memTotal);
        const fromPrometheus = await eventually(
          () => prometheus.query(`node_memory_MemTotal_bytes{job="node",instance="${exporter.target}",env="test"}`),
          (r) => r.length > 0,
          'MemTotal in Prometheus via remote_write',
        );
        expect(Number(fromPrometheus[0]!.value[1])).toBe(memTotal);

        agent.child.kill('SIGTERM');
        expect(await agent.exit).toBe(0);
        expect(agent.output()).not.toContain(influx.password);
      } finally {
        agent.child.kill('SIGKILL');
      }
    },
  );

  it(
    'collector: runs the same engine without the log shipper, ready on /readyz, scraped by one Prometheus for its ' +
      'targets, and stops cleanly',
    async () => {
      const collector = await startMode(['collector', '--set', 'metrics.jobs[0].job=x']);
      expect(await collector.exit).toBe(2);
      const config = join(dir, 'collector.yaml');
      const jobs = [{ job: 'node', targets: [exporter.target], interval: '1s', timeout: '1s' }];
      // No cluster in this test: the cluster-state collector (on by default in collector mode) needs one.
      await writeFile(config, stringify({ metrics: { jobs, state: { enabled: false } } }));
      // A Prometheus that scrapes only the collector, keeping the targets' job and instance (honor_labels).
      const port = await freePort();
      const federating = await startPrometheus({
        scrapeConfigs: [
          { job_name: 'watchkeeper', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
        ],
      });
      const running = await startMode(['collector', '-c', config], port);
      try {
        await until(async () => (await fetch(`${running.url}/readyz`)).status === 200, 'collector ready');
        expect(await (await fetch(`${running.url}/readyz`)).text()).toContain('[+]metrics');
        const up = `up{job="node",instance="${exporter.target}"} 1`;
        await until(async () => (await (await fetch(`${running.url}/metrics`)).text()).includes(up), 'target up');
        const metrics = await (await fetch(`${running.url}/metrics`)).text();
        expect(metrics).toContain('watchkeeper_build_info{version=');
        expect(metrics).toContain('mode="collector"');
        expect(running.output()).not.toContain('Log shipper started.');
        // Prometheus reads the collector's /metrics (it asks for OpenMetrics first) and gets the target's series.
        const federated = await eventually(
          () => federating.query(`up{job="node",instance="${exporter.target}"}`),
          (r) => r.length > 0,
          "the target's up in the federating Prometheus",
        );
        expect(federated[0]!.value[1]).toBe('1');
        type Targets = { activeTargets: { health: string; lastError: string }[] };
        const scraped = await federating.api<Targets>('/api/v1/targets');
        expect(scraped.activeTargets[0]).toMatchObject({ health: 'up', lastError: '' });
        const memory = await federating.query(`node_memory_MemTotal_bytes{job="node",instance="${exporter.target}"}`);
        expect(Number(memory[0]?.value[1])).toBeGreaterThan(0);
        running.child.kill('SIGTERM');
        expect(await running.exit).toBe(0);
      } finally {
        running.child.kill('SIGKILL');
        await federating.stop();
      }
    },
  );

  it('metrics targets: scrapes each configured target once and lists its state, exit 1 when one is down', async () => {
    const config = join(dir, 'targets.yaml');
    const down = `127.0.0.1:${await freePort()}`;
    await writeFile(
      config,
      stringify({
        metrics: {
          jobs: [
            {
              job: 'node',
              targets: [exporter.target, '127.0.0.1:1'],
              labels: { team: 'infra' },
              relabelConfigs: [
                { source_labels: ['__address__'], regex: '127\\.0\\.0\\.1:1', action: 'drop' },
                { source_labels: ['team'], target_label: 'owner', replacement: 'team-$1' },
              ],
            },
            { job: 'gone', targets: [down] },
          ],
        },
      }),
    );
    const targetsCli = (...args: string[]) =>
      spawnSync(process.execPath, [main, 'metrics', 'targets', '-c', config, ...args], { encoding: 'utf8' });
    const listed = targetsCli('-o', 'json');
    expect(listed.status).toBe(1);
    interface Listed {
      job: string;
      health: string;
      lastError: string | null;
      samples: number;
      discoveredLabels: Record<string, string>;
      labels: Record<string, string>;
    }
    const { targets, dropped } = JSON.parse(listed.stdout) as { targets: Listed[]; dropped: { job: string }[] };
    const [node, gone] = targets;
    expect(node).toMatchObject({ job: 'node', health: 'up', lastError: null });
    expect(node!.labels).toEqual({ job: 'node', instance: exporter.target, owner: 'team-infra', team: 'infra' });
    expect(targets).toHaveLength(2);
    expect(dropped).toEqual([
      { job: 'node', discoveredLabels: expect.objectContaining({ __address__: '127.0.0.1:1' }) as unknown },
    ]);
    expect(node!.discoveredLabels).toMatchObject({
      __address__: exporter.target,
      __scheme__: 'http',
      __metrics_path__: '/metrics',
    });
    expect(node!.samples).toBeGreaterThan(100);
    expect(gone).toMatchObject({ job: 'gone', health: 'down' });
    expect(gone!.lastError).toContain('ECONNREFUSED');
    const table = targetsCli();
    expect(table.stdout).toMatch(new RegExp(`^node\\s+http://${exporter.target}/metrics\\s+up\\s+\\d+`, 'm'));
  });
});
