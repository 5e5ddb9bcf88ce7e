import type { ProbeResult, StepResult } from './step.ts';

/** Formats one step's line of the progress output / table. */
function row(step: StepResult, widths: { name: number }): string {
  const status = step.status === 'passed' ? 'ok' : step.status === 'failed' ? 'FAILED' : 'skipped';
  const duration = step.status === 'skipped' ? '-' : `${(step.durationMs / 1000).toFixed(2)}s`;
  return `${step.name.padEnd(widths.name)}  ${status.padEnd(7)}  ${duration.padStart(8)}  ${step.message}`;
}

/** Renders a run as a readable table: step, result, duration and detail or reason, then a verdict line. */
export function formatProbeTable(result: ProbeResult): string {
  const name = Math.max(4, ...result.steps.map((s) => s.name.length));
  const lines = [
    `probe run ${result.runId} (namespace ${result.namespace}), started ${result.startedAt.toISOString()}`,
    `${'STEP'.padEnd(name)}  ${'RESULT'.padEnd(7)}  ${'DURATION'.padStart(8)}  DETAIL`,
    ...result.steps.map((s) => row(s, { name })),
    '',
    result.ok
      ? `PASSED in ${(result.durationMs / 1000).toFixed(1)}s`
      : `FAILED in ${(result.durationMs / 1000).toFixed(1)}s: ${result.failure ?? 'unknown reason'}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The run as plain JSON (for -o json). */
export function probeResultJson(result: ProbeResult): unknown {
  return {
    runId: result.runId,
    namespace: result.namespace,
    ok: result.ok,
    startedAt: result.startedAt.toISOString(),
    durationSeconds: Number((result.durationMs / 1000).toFixed(3)),
    failure: result.failure ?? null,
    steps: result.steps.map((s) => ({
      name: s.name,
      status: s.status,
      durationSeconds: Number((s.durationMs / 1000).toFixed(3)),
      message: s.message,
    })),
    podStartupSeconds: result.measurements.podStartupMs.map((ms) => Number((ms / 1000).toFixed(3))),
    watchLatencySeconds:
      result.measurements.watchLatencyMs === undefined
        ? null
        : Number((result.measurements.watchLatencyMs / 1000).toFixed(4)),
    leftoversCollected: result.measurements.leftoversCollected,
  };
}
