// watchkeeper collector and agent as real child processes against the real API server of test/env: a discovery
// job scrapes the API server with a bearer token, the agent serves its built-in node collector through the scrape
// pipeline, and two sharded collectors split a job's targets so that each is scraped by exactly one of them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuantity } from '../../collectors/metrics/node/quantity.ts';
import { freePort, startCluster, type Cluster } from '../env/index.ts';
import { eventually, until } from '../support/eventually.ts';

const main = join(import.meta.dirname, '../../cli/main.ts');

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts a long-running mode as a real child process with its own status port and extra environment. */
async function startMode(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
  const sets = ['--set', `server.port=${port}`, '--set', 'server.host=127.0.0.1', '--set', 'log.format=json'];
  const child = spawn(process.execPath, [main, ...args, ...sets], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
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

async function metricsOf(running: Running): Promise<string> {
  return (await fetch(`${running.url}/metrics`)).text();
}

/** The value of the sample line `series` (name and labels exactly as exposed), or undefined. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The instances of job `job` that have an `up` series in an exposition. */
function upInstances(text: string, job: string): string[] {
  const pattern = new RegExp(`^up\\{job="${job}",instance="([^"]+)"\\} `, 'gm');
  return [...text.matchAll(pattern)].map((m) => m[1]!).sort();
}

describe('collector and agent with Kubernetes discovery, sharding and the node collector (real API server)', () => {
  let cluster: Cluster;
  let dir: string;
  const started: Running[] = [];

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await cluster.request(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body}`);
    return JSON.parse(res.body) as unknown;
  }

  async function start(name: string, mode: 'agent' | 'collector', config: unknown, env: Record<string, string> = {}) {
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, stringify(config));
    const running = await startMode([mode, '-c', file], env);
    started.push(running);
    await until(async () => (await fetch(`${running.url}/readyz`)).status === 200, `${name} ready`, 60_000).catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\n${running.output()}`);
      },
    );
    return running;
  }

  beforeAll(async () => {
    [cluster, dir] = await Promise.all([startCluster({ nodes: 1 }), mkdtemp(join(tmpdir(), 'wk-metrics-cluster-'))]);
  });
  afterAll(async () => {
    for (const running of started) running.child.kill('SIGKILL');
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('collector: discovers the API server from the kubernetes EndpointSlice and scrapes it with a bearer token', async () => {
    // This API server advertises 127.0.0.1, which the API refuses as an endpoint; the slice a real API server
    // keeps is written here with a documentation address, and a relabel rule sends the scrape to where this
    // API server listens (the rule a user writes for an API server behind a different address).
    const api = new URL(cluster.server);
    await request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.10'], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    });
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${cluster.adminToken}\n`, { mode: 0o600 });
    const collector = await start('collector', 'collector', {
      kubernetes: { kubeconfig: cluster.adminKubeconfig },
      metrics: {
        jobs: [
          {
            job: 'apiserver',
            kubernetes: { role: 'apiserver' },
            interval: '1s',
            timeout: '1s',
            bearerTokenFile: tokenFile,
            tls: { caFile: cluster.caFile },
            relabelConfigs: [
              { source_labels: ['__address__'], target_label: 'instance' },
              { target_label: '__address__', replacement: api.host },
            ],
          },
        ],
      },
    });
    const up = 'up{job="apiserver",instance="192.0.2.10:6443"}';
    const text = await eventually(
      () => metricsOf(collector),
      (t) => valueOf(t, up) === 1,
      'API server up',
    );
    expect(text).toMatch(/^apiserver_request_total\{.*job="apiserver",instance="192\.0\.2\.10:6443"\} \d+/m);
    expect(valueOf(text, 'watchkeeper_discovery_targets{scrape_job="apiserver"}')).toBe(1);
    expect(collector.output()).not.toContain(cluster.adminToken);
    collector.child.kill('SIGTERM');
    expect(await collector.exit).toBe(0);
  });

  it('agent: the built-in node collector\'s series and its node\'s resources at /metrics, as job "node"', async () => {
    const node = cluster.nodes[0]!;
    const agent = await start(
      'agent',
      'agent',
      {
        kubernetes: { kubeconfig: cluster.adminKubeconfig },
        logs: {
          dataDir: join(dir, 'logs'),
          directory: { path: join(dir, 'logs-out') },
          containers: { paths: [join(dir, 'pods/*/*/*.log')] },
          enrichFromApi: false,
        },
        metrics: { enabled: true, node: { enabled: true, interval: '1s' } },
      },
      { NODE_NAME: node },
    );
    const memTotal = `node_memory_MemTotal_bytes{job="node",instance="${node}"}`;
    const text = await eventually(
      () => metricsOf(agent),
      (t) => valueOf(t, memTotal) !== undefined,
      'node collector series at the agent',
    );
    const meminfo = await readFile('/proc/meminfo', 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(meminfo)![1]) * 1024;
    expect(valueOf(text, memTotal)).toBe(kb('MemTotal'));
    expect(valueOf(text, `node_memory_MemAvailable_bytes{job="node",instance="${node}"}`)).toBeGreaterThan(0);
    expect(text).toMatch(
      new RegExp(`^node_cpu_seconds_total\\{cpu="0",mode="idle",job="node",instance="${node}"\\} ` + '[0-9.e+]+$', 'm'),
    );
    expect(valueOf(text, `up{job="node",instance="${node}"}`)).toBe(1);
    const apiNode = (await request('GET', `/api/v1/nodes/${node}`)) as { status: { allocatable: { cpu: string } } };
    const allocatable =
      `kube_node_status_allocatable{node="${node}",resource="cpu",unit="core",job="node",` + `instance="${node}"}`;
    const withResources = await eventually(
      () => metricsOf(agent),
      (t) => valueOf(t, allocatable) !== undefined,
      'node resources at the agent',
    );
    expect(valueOf(withResources, allocatable)).toBe(parseQuantity(apiNode.status.allocatable.cpu));
    agent.child.kill('SIGTERM');
    expect(await agent.exit).toBe(0);
  });

  it('two sharded collectors: each target of the job is scraped by exactly one; the survivor takes all of them', async () => {
    // Six targets that refuse connections: up 0, but the up series shows which replica scrapes each.
    const addresses = await Promise.all(Array.from({ length: 6 }, async () => `127.0.0.1:${await freePort()}`));
    const config = {
      kubernetes: { kubeconfig: cluster.adminKubeconfig },
      metrics: {
        jobs: [
          {
            job: 'etcd',
            kubernetes: { role: 'etcd', addresses },
            scheme: 'http',
            interval: '1s',
            timeout: '1s',
          },
        ],
        state: { interval: '1s' },
        sharding: {
          enabled: true,
          namespace: 'default',
          group: 'wk-test',
          renewSeconds: 0.5,
          leaseDurationSeconds: 3,
          graceSeconds: 1,
        },
      },
    };
    const [a, b] = await Promise.all([
      start('shard-a', 'collector', config, { POD_NAME: 'collector-a' }),
      start('shard-b', 'collector', config, { POD_NAME: 'collector-b' }),
    ]);
    const split = await eventually(
      async () => [upInstances(await metricsOf(a), 'etcd'), upInstances(await metricsOf(b), 'etcd')],
      ([ia, ib]) => ia!.length > 0 && ib!.length > 0 && ia!.length + ib!.length === addresses.length,
      'targets split between the two replicas',
    );
    expect([...split[0]!, ...split[1]!].sort()).toEqual([...addresses].sort());
    expect(valueOf(await metricsOf(a), 'watchkeeper_shard_replicas')).toBe(2);
    // The cluster-state target (each replica serves it on its own loopback port) is scraped by exactly one.
    const stateScrapes = async () =>
      (await Promise.all([a, b].map(async (r) => upInstances(await metricsOf(r), 'kube-state-metrics')))).flat();
    expect(await eventually(stateScrapes, (s) => s.length > 0, 'cluster-state target scraped')).toEqual([
      'kube-state-metrics',
    ]);

    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    await eventually(
      async () => upInstances(await metricsOf(a), 'etcd'),
      (ia) => ia.length === addresses.length,
      'the remaining replica scrapes every target',
    );
    await eventually(
      async () => upInstances(await metricsOf(a), 'kube-state-metrics'),
      (i) => i.length === 1,
      'the remaining replica scrapes the cluster-state target',
    );
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
  });
});
