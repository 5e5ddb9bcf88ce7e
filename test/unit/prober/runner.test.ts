import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { explicitKubeAccess } from '../../../core/kube/access.ts';
import { KubeClient } from '../../../core/kube/client.ts';
import { createLogger } from '../../../core/log.ts';
import { proberSection } from '../../../prober/config.ts';
import { nextDelayMs } from '../../../prober/loop.ts';
import { createProberMetrics } from '../../../prober/metrics.ts';
import { markFailed, recordProbeResult } from '../../../prober/record.ts';
import { formatProbeTable } from '../../../prober/report.ts';
import { runProbe } from '../../../prober/runner.ts';
import { ProbeFailure, type ProbeStep } from '../../../prober/step.ts';

const client = new KubeClient(explicitKubeAccess({ server: 'https://127.0.0.1:1', token: 'unused' }));
const logger = createLogger({ level: 'silent', format: 'json' });
const config = proberSection.parse({});

function step(name: string, run: ProbeStep['run'], extra: Partial<ProbeStep> = {}): ProbeStep {
  return { name, timeoutMs: 1000, run, ...extra };
}

describe('runProbe', () => {
  it('skips the steps after a failure but still runs the always-steps, and names the failure', async () => {
    const ran: string[] = [];
    const result = await runProbe({
      client,
      config,
      logger,
      runId: 'r1',
      steps: [
        step('a', () => {
          ran.push('a');
          return Promise.resolve('fine');
        }),
        step('b', () => {
          ran.push('b');
          return Promise.reject(new ProbeFailure('deployment x: 0/3 pods Ready'));
        }),
        step('c', () => {
          ran.push('c');
          return Promise.resolve(undefined);
        }),
        step(
          'teardown',
          () => {
            ran.push('teardown');
            return Promise.resolve('gone');
          },
          { always: true },
        ),
      ],
    });
    expect(ran).toEqual(['a', 'b', 'teardown']);
    expect(result.ok).toBe(false);
    expect(result.namespace).toBe('watchkeeper-probe-r1');
    expect(result.failure).toBe('b: deployment x: 0/3 pods Ready');
    expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'a:passed',
      'b:failed',
      'c:skipped',
      'teardown:passed',
    ]);
    expect(result.steps[2]!.message).toBe('after failure of step b');
  });

  it('bounds a step by its timeout, quoting what it was doing, and aborts its signal', async () => {
    let sawAbort = false;
    const result = await runProbe({
      client,
      config,
      logger,
      steps: [
        step(
          'slow',
          (ctx) =>
            new Promise((_, reject) => {
              ctx.progress('waiting for something');
              ctx.signal.addEventListener('abort', () => {
                sawAbort = true;
                reject(new Error('aborted'));
              });
            }),
          { timeoutMs: 200 },
        ),
      ],
    });
    expect(sawAbort).toBe(true);
    expect(result.steps[0]!.message).toBe('timed out after 0.2s while waiting for something');
  });

  it('reports a skip reason from the step and keeps the run passing', async () => {
    const result = await runProbe({
      client,
      config,
      logger,
      steps: [step('in-cluster', () => Promise.resolve('x'), { skip: () => 'not in a pod' })],
    });
    expect(result.ok).toBe(true);
    expect(result.steps[0]).toMatchObject({ status: 'skipped', message: 'not in a pod' });
  });

  it('a cancelled run skips ordinary steps and tells always-steps that the process is stopping', async () => {
    const controller = new AbortController();
    controller.abort();
    let stopping: boolean | undefined;
    const result = await runProbe({
      client,
      config,
      logger,
      signal: controller.signal,
      steps: [
        step('a', () => Promise.resolve('x')),
        step(
          'teardown',
          (ctx) => {
            stopping = ctx.stopping;
            return Promise.resolve('y');
          },
          { always: true },
        ),
      ],
    });
    expect(result.steps.map((s) => s.status)).toEqual(['skipped', 'passed']);
    expect(stopping).toBe(true);
  });
});

describe('recordProbeResult and the table', () => {
  it('sets success, step success, counters and the last-success time', async () => {
    const registry = new Registry();
    const metrics = createProberMetrics(registry);
    const ok = await runProbe({
      client,
      config,
      logger,
      runId: 'ok',
      steps: [
        step('api', (ctx) => {
          ctx.measurements.podStartupMs.push(400);
          return Promise.resolve('v1');
        }),
      ],
    });
    recordProbeResult(metrics, ok, 1_700_000_000_000);
    const bad = await runProbe({
      client,
      config,
      logger,
      runId: 'bad',
      steps: [
        step('api', () => Promise.reject(new ProbeFailure('API server not ready'))),
        step('namespace', () => Promise.resolve('x')),
      ],
    });
    recordProbeResult(metrics, bad, 1_700_000_060_000);
    const text = await registry.metrics();
    expect(text).toContain('watchkeeper_probe_success 0');
    expect(text).toContain('watchkeeper_probe_last_success_timestamp_seconds 1700000000');
    expect(text).toContain('watchkeeper_probe_runs_total{result="success"} 1');
    expect(text).toContain('watchkeeper_probe_runs_total{result="failure"} 1');
    expect(text).toContain('watchkeeper_probe_consecutive_failures 1');
    expect(text).toContain('watchkeeper_probe_step_success{step="api"} 0');
    expect(text).toContain('watchkeeper_probe_step_success{step="namespace"} 0');
    expect(text).toContain('watchkeeper_probe_pod_startup_latency_seconds_count 1');
    expect(text).toMatch(/watchkeeper_probe_step_duration_seconds_bucket\{le="5",step="api"\} 2/);

    const table = formatProbeTable(bad);
    expect(table).toMatch(/^api\s+FAILED\s+\d+\.\d\ds\s+API server not ready$/m);
    expect(table).toMatch(/^namespace\s+skipped\s+-\s+after failure of step api$/m);
    expect(table).toContain('FAILED in');
    expect(table).toContain('api: API server not ready');
  });
});

describe('markFailed', () => {
  it('publishes a failure before the run ends', async () => {
    const registry = new Registry();
    const metrics = createProberMetrics(registry);
    metrics.success.set(1);
    markFailed(metrics, 'workload');
    const text = await registry.metrics();
    expect(text).toContain('watchkeeper_probe_success 0');
    expect(text).toContain('watchkeeper_probe_step_success{step="workload"} 0');
  });
});

describe('nextDelayMs', () => {
  it('jitters the interval by at most 10% and subtracts the run time', () => {
    expect(nextDelayMs(60_000, 0, () => 0)).toBe(54_000);
    expect(nextDelayMs(60_000, 0, () => 1)).toBe(66_000);
    expect(nextDelayMs(60_000, 20_000, () => 0.5)).toBe(40_000);
    expect(nextDelayMs(60_000, 90_000, () => 0.5)).toBe(0);
  });
});

describe('prober config', () => {
  it('has defaults suited to a real cluster and rejects unknown keys', () => {
    expect(config).toMatchObject({
      intervalSeconds: 60,
      replicas: 3,
      inCluster: 'auto',
      timeouts: { workloadSeconds: 45, teardownSeconds: 60 },
    });
    expect(proberSection.safeParse({ replicas: 1 }).success).toBe(false);
    expect(proberSection.safeParse({ timeouts: { nope: 1 } }).success).toBe(false);
    expect(
      proberSection.parse({ tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }] })
        .tolerations,
    ).toHaveLength(1);
  });
});
