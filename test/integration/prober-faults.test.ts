import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../env/index.ts';
import { resolveKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';
import { isStatus } from '../../core/kube/errors.ts';
import { resourcePath, resources } from '../../core/kube/paths.ts';
import { createLogger } from '../../core/log.ts';
import { proberSection, type ProberConfig } from '../../prober/config.ts';
import { proberLabel } from '../../prober/labels.ts';
import { createProberMetrics, type ProberMetrics } from '../../prober/metrics.ts';
import { recordProbeResult } from '../../prober/record.ts';
import { formatProbeTable } from '../../prober/report.ts';
import { runProbe } from '../../prober/runner.ts';
import type { ProbeResult } from '../../prober/step.ts';
import { probeSteps } from '../../prober/steps/index.ts';

const node = join(process.cwd(), 'node_modules/.bin/node');
const logger = createLogger({ level: 'silent', format: 'json' });

/** Prober settings for kwok nodes, with short step bounds so fault cases end quickly. */
const testConfig: ProberConfig = proberSection.parse({
  nodeSelector: { type: 'kwok' },
  tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
  inCluster: 'off',
  leftoverMinAgeSeconds: 0,
  timeouts: { workloadSeconds: 20, serviceSeconds: 20, teardownSeconds: 20 },
});

function statusOf(result: ProbeResult): Record<string, string> {
  return Object.fromEntries(result.steps.map((s) => [s.name, s.status]));
}

function messageOf(result: ProbeResult, step: string): string {
  return result.steps.find((s) => s.name === step)?.message ?? '';
}

async function metricValue(registry: Registry, name: string, labels = ''): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('prober against a real control plane with kwok nodes', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  let registry: Registry;
  let metrics: ProberMetrics;

  const probe = async (client = admin, config = testConfig): Promise<ProbeResult> => {
    const result = await runProbe({ client, config, logger, steps: probeSteps(config) });
    recordProbeResult(metrics, result);
    // Printed so that a failing case shows the whole run.
    process.stdout.write(formatProbeTable(result));
    return result;
  };

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3 });
    admin = new KubeClient(await resolveKubeAccess({ kubeconfig: cluster.adminKubeconfig }));
    registry = new Registry();
    metrics = createProberMetrics(registry);
  });
  afterAll(async () => {
    admin?.close();
    await cluster?.stop();
  });

  it("passes every step on a healthy cluster, measuring pod startup and watch latency, and collects a crashed run's namespace", async () => {
    // A namespace left by a "crashed" earlier run.
    await admin.postJson(resourcePath(resources.namespaces), {
      metadata: { name: 'watchkeeper-probe-crashed', labels: { [proberLabel]: 'true' } },
    });
    // Someone labelled a namespace that is not the prober's: the label alone must not get it deleted.
    await admin.postJson(resourcePath(resources.namespaces), {
      metadata: { name: 'payments', labels: { [proberLabel]: 'true' } },
    });
    const result = await probe();
    expect(statusOf(result)).toEqual({
      api: 'passed',
      namespace: 'passed',
      write: 'passed',
      workload: 'passed',
      service: 'passed',
      'in-cluster': 'skipped',
      teardown: 'passed',
      leftovers: 'passed',
    });
    expect(result.ok).toBe(true);
    expect(result.measurements.podStartupMs).toHaveLength(3);
    expect(result.measurements.watchLatencyMs).toBeGreaterThan(0);
    expect(messageOf(result, 'workload')).toMatch(/^3\/3 pods Ready; startup p50 .* \(SLO p99 <= 5s: (met|MISSED)\)$/);
    expect(messageOf(result, 'leftovers')).toBe('deleted watchkeeper-probe-crashed');
    expect(result.measurements.leftoversCollected).toBe(1);
    const payments = await admin.getJson<{ metadata: { deletionTimestamp?: string } }>(
      resourcePath(resources.namespaces, undefined, 'payments'),
    );
    expect(payments.metadata.deletionTimestamp).toBeUndefined();
    // The run's own namespace is gone.
    const gone = await admin
      .getJson(resourcePath(resources.namespaces, undefined, result.namespace))
      .catch((e: unknown) => e);
    expect(isStatus(gone, 404)).toBe(true);
    expect(await metricValue(registry, 'watchkeeper_probe_success')).toBe(1);
    expect(await metricValue(registry, 'watchkeeper_probe_leftover_namespaces_collected_total')).toBe(1);
    expect(await metricValue(registry, 'watchkeeper_probe_pod_startup_latency_seconds_count')).toBe(3);
    expect(await metricValue(registry, 'watchkeeper_probe_step_success', '{step="service"}')).toBe(1);
  });

  it('tells a restricted user which permissions are missing', async () => {
    const restricted = new KubeClient(await resolveKubeAccess({ kubeconfig: cluster.restrictedKubeconfig }));
    try {
      const result = await probe(restricted);
      expect(result.ok).toBe(false);
      // It may list and watch pods in namespace default only, which is not enough cluster-wide.
      expect(result.failure).toBe(
        "api: the prober's identity lacks cluster-wide permissions: " +
          'cannot create, get, list, delete namespaces (step namespace/teardown/leftovers); ' +
          'cannot create, get, update, delete, list, watch configmaps (step write); ' +
          'cannot create, get, patch deployments.apps (step workload); cannot list replicasets.apps (step workload); ' +
          'cannot list, watch pods (step workload); cannot create, get services (step service); ' +
          'cannot list endpointslices.discovery.k8s.io (step service)',
      );
      expect(statusOf(result)).toMatchObject({ namespace: 'skipped', teardown: 'skipped', leftovers: 'skipped' });
      expect(await metricValue(registry, 'watchkeeper_probe_success')).toBe(0);
      expect(await metricValue(registry, 'watchkeeper_probe_step_success', '{step="api"}')).toBe(0);
    } finally {
      restricted.close();
    }
  });

  it('with the scheduler stopped: pods stay Pending and the workload step says so', async () => {
    await cluster.stopComponent('kube-scheduler');
    try {
      const result = await probe();
      expect(result.ok).toBe(false);
      expect(messageOf(result, 'workload')).toBe(
        'deployment probe-web: 0/3 pods Ready after 20s; 3 Pending: not scheduled: no scheduler has acted on it (is kube-scheduler running?)',
      );
      expect(statusOf(result)).toMatchObject({ workload: 'failed', service: 'skipped', teardown: 'passed' });
      expect(await metricValue(registry, 'watchkeeper_probe_step_success', '{step="workload"}')).toBe(0);
      expect(await metricValue(registry, 'watchkeeper_probe_step_success', '{step="teardown"}')).toBe(1);
    } finally {
      await cluster.startComponent('kube-scheduler');
    }
  });

  it('with the controller-manager stopped: the workload and teardown steps fail, naming it', async () => {
    await cluster.stopComponent('kube-controller-manager');
    let result: ProbeResult;
    try {
      result = await probe();
    } finally {
      await cluster.startComponent('kube-controller-manager');
    }
    expect(result.ok).toBe(false);
    expect(messageOf(result, 'workload')).toBe(
      'deployment probe-web: 0/3 pods Ready after 20s; no ReplicaSet was created (is kube-controller-manager running?)',
    );
    expect(messageOf(result, 'teardown')).toBe(
      `namespace ${result.namespace}: still Terminating after 20s, and the namespace controller reported no progress (is kube-controller-manager running?)`,
    );
    expect(result.failure).toMatch(/^workload: /);
    expect(await metricValue(registry, 'watchkeeper_probe_step_success', '{step="teardown"}')).toBe(0);
    expect(await metricValue(registry, 'watchkeeper_probe_consecutive_failures')).toBe(3);

    // With the controller-manager back, the stuck namespace finishes deleting and the next run passes.
    const next = await probe();
    expect(next.ok).toBe(true);
    expect(await metricValue(registry, 'watchkeeper_probe_success')).toBe(1);
    expect(await metricValue(registry, 'watchkeeper_probe_consecutive_failures')).toBe(0);
  });

  it('in-cluster checks switched on outside the cluster fail on DNS with the name they looked up, and teardown still runs', async () => {
    const config = proberSection.parse({
      ...testConfig,
      inCluster: 'on',
      timeouts: { ...testConfig.timeouts, inClusterSeconds: 3 },
    });
    const result = await probe(admin, config);
    expect(messageOf(result, 'in-cluster')).toMatch(
      new RegExp(
        `^service probe-web: DNS name probe-web\\.${result.namespace}\\.svc did not resolve within 3s \\((ENOTFOUND|EAI_AGAIN)\\)$`,
      ),
    );
    expect(statusOf(result)).toMatchObject({ service: 'passed', 'in-cluster': 'failed', teardown: 'passed' });
  });

  it('`watchkeeper prober --once` prints the table and exits 0 when healthy, 1 with the reason when not', async () => {
    const configFile = join(cluster.dir, 'prober-once.yaml');
    await writeFile(
      configFile,
      JSON.stringify({ log: { level: 'warn' }, prober: { ...testConfig, leftoverMinAgeSeconds: 900 } }),
    );
    const run = (kubeconfig: string): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(
          node,
          ['cli/main.ts', 'prober', '--once', '-c', configFile],
          { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 150_000 },
          (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
        );
      });
    const ok = await run(cluster.adminKubeconfig);
    expect(ok.stdout).toMatch(/^workload\s+ok\s+/m);
    expect(ok.stdout).toContain('PASSED in');
    expect(ok.code).toBe(0);
    const denied = await run(cluster.restrictedKubeconfig);
    expect(denied.stdout).toMatch(/^api\s+FAILED\s+/m);
    expect(denied.stderr).toContain("watchkeeper: probe failed at api: the prober's identity lacks");
    expect(denied.code).toBe(1);
  });

  it('with the API server stopped: fails at step 1 with the connection error and skips the rest', async () => {
    await cluster.stopComponent('kube-apiserver');
    let result: ProbeResult;
    try {
      result = await probe();
    } finally {
      await cluster.startComponent('kube-apiserver');
    }
    expect(result.ok).toBe(false);
    expect(result.failure).toMatch(/^api: GET \/readyz: cannot reach https:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect(result.steps.filter((s) => s.status !== 'skipped').map((s) => s.name)).toEqual(['api']);
  });
});
