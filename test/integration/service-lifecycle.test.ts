import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../support/eventually.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proberLabel } from '../../prober/labels.ts';
import { freePort, startCluster, type Cluster } from '../env/index.ts';

const main = join(import.meta.dirname, '../../cli/main.ts');

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts a long-running mode as a real child process with its own status port. */
async function startMode(args: string[]): Promise<Running> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [main, ...args, '--set', `server.port=${port}`, '--set', 'server.host=127.0.0.1', '--set', 'log.format=json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
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

describe('long-running mode lifecycle (watchkeeper prober as a child process)', () => {
  let cluster: Cluster;
  let config: string;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2 });
    config = join(await mkdtemp(join(tmpdir(), 'lifecycle-')), 'watchkeeper.yaml');
    await writeFile(
      config,
      `kubernetes:\n  kubeconfig: ${cluster.adminTokenKubeconfig}\nprober:\n  intervalSeconds: 2\n  replicas: 2\n  leftoverMinAgeSeconds: 0\n`,
    );
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves /healthz, /readyz and /metrics, then stops cleanly on SIGTERM with exit code 0', async () => {
    const mode = await startMode(['prober', '-c', config]);
    try {
      await until(async () => (await fetch(`${mode.url}/healthz`)).status === 200, '/healthz');
      await until(async () => (await fetch(`${mode.url}/readyz`)).status === 200, '/readyz');
      await until(
        async () =>
          (await (await fetch(`${mode.url}/metrics`)).text()).includes('watchkeeper_probe_runs_total{result='),
        'a finished probe run in /metrics',
      );
      const metrics = await (await fetch(`${mode.url}/metrics`)).text();
      expect(metrics).toMatch(/watchkeeper_build_info\{version="[^"]+",node_version="v24\.[^"]+",mode="prober"\} 1/);
      expect(metrics).toContain('process_cpu_seconds_total');
      mode.child.kill('SIGTERM');
      expect(await mode.exit).toBe(0);
      const records = mode
        .output()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { msg: string });
      expect(records.map((r) => r.msg)).toEqual(expect.arrayContaining(['Stopping.', 'Stopped.']));
      expect(mode.output()).not.toContain(cluster.adminToken);
    } finally {
      mode.child.kill('SIGKILL');
    }
  });

  it('exits at once on a second signal while a component is still stopping', async () => {
    // Without the controller-manager the probe namespace never goes away, so the run in flight
    // keeps waiting in its teardown step and stopping takes long.
    const proberNamespaces = async (): Promise<{ metadata: { name: string; deletionTimestamp?: string } }[]> => {
      const { body } = await cluster.request(
        'GET',
        `/api/v1/namespaces?labelSelector=${encodeURIComponent(proberLabel)}`,
      );
      return (JSON.parse(body) as { items: { metadata: { name: string; deletionTimestamp?: string } }[] }).items;
    };
    const earlier = new Set((await proberNamespaces()).map((n) => n.metadata.name));
    await cluster.stopComponent('kube-controller-manager');
    const mode = await startMode([
      'prober',
      '-c',
      config,
      '--set',
      'shutdownTimeoutSeconds=120',
      '--set',
      'prober.timeouts.workloadSeconds=2',
    ]);
    try {
      await until(async () => (await fetch(`${mode.url}/healthz`)).status === 200, '/healthz');
      await until(
        async () =>
          (await proberNamespaces()).some((n) => !earlier.has(n.metadata.name) && n.metadata.deletionTimestamp),
        "this run's namespace waiting in teardown",
      );
      mode.child.kill('SIGTERM');
      await until(async () => mode.output().includes('"msg":"Stopping."'), 'the first signal handled');
      mode.child.kill('SIGTERM');
      expect(await mode.exit).toBe(130);
      expect(mode.output()).toContain('Second signal: exiting now.');
    } finally {
      mode.child.kill('SIGKILL');
      await cluster.startComponent('kube-controller-manager');
    }
  });

  it('refuses a bad configuration before starting anything, with exit code 2', async () => {
    const mode = await startMode(['prober', '-c', config, '--set', 'prober.replicas=zero']);
    expect(await mode.exit).toBe(2);
    expect(mode.output()).toContain('prober.replicas: expected a number, found "zero"');
    await expect(fetch(mode.url)).rejects.toThrow();
  });
});
