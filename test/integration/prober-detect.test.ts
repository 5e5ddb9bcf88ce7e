import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../env/index.ts';

const node = join(process.cwd(), 'node_modules/.bin/node');

async function metric(url: string, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return Date.now() - start;
}

/**
 * Measures, with default prober settings (60 s interval, default step bounds), how long after the
 * controller-manager stops `watchkeeper_probe_success` goes to 0, as Prometheus would scrape it
 * from a running `watchkeeper prober`. Prints the numbers; asserts only that the fault is seen.
 */
describe('watchkeeper prober (service mode) time to detect a fault', () => {
  let cluster: Cluster;
  let child: ChildProcess | undefined;
  let url = '';
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3 });
    const configFile = join(cluster.dir, 'prober-service.yaml');
    await writeFile(configFile, JSON.stringify({
      log: { level: 'info', format: 'json' },
      server: { host: '127.0.0.1', port: 0 },
      kubernetes: { kubeconfig: cluster.adminKubeconfig },
      prober: { nodeSelector: { type: 'kwok' }, tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists' }], inCluster: 'off' },
    }));
    child = spawn(node, ['cli/main.ts', 'prober', '-c', configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    const started = new Promise<string>((resolve, reject) => {
      child!.once('exit', (code) => reject(new Error(`prober exited with ${code}`)));
      createInterface({ input: child!.stdout! }).on('line', (line) => {
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          logs.push(record);
          if (record.msg === 'Status server listening.') resolve(record.url as string);
        } catch { /* not a log record */ }
      });
    });
    url = await started;
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await cluster?.stop();
  });

  it('sets watchkeeper_probe_success to 0 after the controller-manager stops, and back to 1 after it returns', async () => {
    const firstSuccessMs = await until(async () => (await metric(url, 'watchkeeper_probe_success')) === 1, 120_000);
    await cluster.stopComponent('kube-controller-manager');
    const detectMs = await until(async () => (await metric(url, 'watchkeeper_probe_success')) === 0, 300_000);
    process.stdout.write(`\ncontroller-manager stopped -> watchkeeper_probe_success 0 after ${(detectMs / 1000).toFixed(1)}s\n`);
    const workloadStep = await fetch(`${url}/metrics`).then((r) => r.text()).then((t) => t.split('\n').find((l) => l.startsWith('watchkeeper_probe_step_success{step="workload"}')));
    await cluster.startComponent('kube-controller-manager');
    const recoverMs = await until(async () => (await metric(url, 'watchkeeper_probe_success')) === 1, 300_000);
    await until(() => Promise.resolve(logs.some((l) => l.msg === 'Probe failed.')), 120_000);
    const failedLog = logs.find((l) => l.msg === 'Probe failed.');
    process.stdout.write(`\nfirst success after start: ${(firstSuccessMs / 1000).toFixed(1)}s\n`
      + `controller-manager stopped -> watchkeeper_probe_success 0 after ${(detectMs / 1000).toFixed(1)}s\n`
      + `controller-manager started -> watchkeeper_probe_success 1 after ${(recoverMs / 1000).toFixed(1)}s\n`
      + `failure logged: ${String(failedLog?.failure)}\n`);
    // Second fault, right after a successful run: the API server stops.
    await cluster.stopComponent('kube-apiserver');
    let apiDetectMs: number;
    try {
      apiDetectMs = await until(async () => (await metric(url, 'watchkeeper_probe_success')) === 0, 300_000);
    } finally {
      await cluster.startComponent('kube-apiserver');
    }
    process.stdout.write(`kube-apiserver stopped -> watchkeeper_probe_success 0 after ${(apiDetectMs / 1000).toFixed(1)}s\n`);
    expect(await metric(url, 'watchkeeper_probe_step_success{step="api"}')).toBe(0);
    expect(workloadStep).toBe('watchkeeper_probe_step_success{step="workload"} 0');

    // SIGTERM stops the service cleanly (a run in progress only requests its namespace's deletion).
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logs.some((l) => l.msg === 'Stopped.')).toBe(true);
    expect(failedLog?.failure).toMatch(/^workload: deployment probe-web: 0\/3 pods Ready after 45s; no ReplicaSet was created/);
  }, 900_000);
});
