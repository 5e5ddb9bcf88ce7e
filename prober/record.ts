import type { ProberMetrics } from './metrics.ts';
import type { ProbeResult } from './step.ts';

/** Updates the prober's metrics with the outcome of one run. */
export function recordProbeResult(metrics: ProberMetrics, result: ProbeResult, now = Date.now()): void {
  for (const step of result.steps) {
    if (step.status === 'skipped') {
      // A step skipped by configuration says nothing; one skipped after a failure did not succeed.
      if (step.message.startsWith('after failure') || step.message === 'run cancelled')
        metrics.stepSuccess.set({ step: step.name }, 0);
      continue;
    }
    metrics.stepDuration.observe({ step: step.name }, step.durationMs / 1000);
    metrics.stepSuccess.set({ step: step.name }, step.status === 'passed' ? 1 : 0);
  }
  for (const ms of result.measurements.podStartupMs) metrics.podStartup.observe(ms / 1000);
  if (result.measurements.watchLatencyMs !== undefined)
    metrics.watchLatency.observe(result.measurements.watchLatencyMs / 1000);
  if (result.measurements.leftoversCollected > 0)
    metrics.leftoversCollected.inc(result.measurements.leftoversCollected);
  metrics.runs.inc({ result: result.ok ? 'success' : 'failure' });
  metrics.success.set(result.ok ? 1 : 0);
  metrics.lastRun.set(now / 1000);
  metrics.runDuration.set(result.durationMs / 1000);
  if (result.ok) {
    metrics.lastSuccess.set(now / 1000);
    metrics.consecutiveFailures.set(0);
  } else {
    metrics.consecutiveFailures.inc();
  }
}

/** Publishes a failed step at once, before the run (and its teardown) has finished. */
export function markFailed(metrics: ProberMetrics, step: string): void {
  metrics.success.set(0);
  metrics.stepSuccess.set({ step }, 0);
}
