import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../core/kube/client.ts';
import type { Logger } from '../core/log.ts';
import type { ProberConfig } from './config.ts';
import {
  ProbeFailure,
  type Measurements,
  type ProbeContext,
  type ProbeResult,
  type ProbeStep,
  type StepResult,
} from './step.ts';
import { seconds } from './wait.ts';

/** Options of {@link runProbe}. */
export interface RunProbeOptions {
  client: KubeClient;
  config: ProberConfig;
  logger: Logger;
  steps: readonly ProbeStep[];
  /** Aborting it cancels the run: remaining steps are skipped, teardown only requests deletion. */
  signal?: AbortSignal;
  /** Whether watchkeeper runs in the probed cluster; default: the credentials are in-cluster ones. */
  inCluster?: boolean;
  /** Fixed run id (tests); default: time plus random. */
  runId?: string;
  /** Called after each step, e.g. to print progress. */
  onStep?(result: StepResult): void;
}

/** How long a step may overrun its time before the runner stops waiting for it. */
const overrunGraceMs = 7000;

/** Makes a run id: base-36 time and 4 random hex digits, valid inside a DNS label. */
export function newRunId(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(2).toString('hex')}`;
}

/**
 * Runs the steps in order, each bounded by its own time. After the first failure the remaining
 * steps are skipped, except those marked `always` (teardown, leftovers). Never throws: every
 * failure ends up in the result with the step's precise message.
 */
export async function runProbe(options: RunProbeOptions): Promise<ProbeResult> {
  const runId = options.runId ?? newRunId();
  const namespace = `${options.config.namespacePrefix}-${runId}`;
  const measurements: Measurements = { podStartupMs: [], leftoversCollected: 0, namespaceRequested: false };
  const runSignal = options.signal ?? new AbortController().signal;
  const logger = options.logger.child({ run: runId });
  const startedAt = new Date();
  const t0 = performance.now();
  const results: StepResult[] = [];
  let failedStep: string | undefined;
  let failure: string | undefined;
  for (const step of options.steps) {
    const stepStart = performance.now();
    const push = (status: StepResult['status'], message: string): void => {
      const result: StepResult = {
        name: step.name,
        status,
        durationMs: status === 'skipped' ? 0 : performance.now() - stepStart,
        message,
      };
      results.push(result);
      options.onStep?.(result);
    };
    if (!step.always && (failedStep !== undefined || runSignal.aborted)) {
      push('skipped', runSignal.aborted ? 'run cancelled' : `after failure of step ${failedStep}`);
      continue;
    }
    const timeout = new AbortController();
    let note = 'starting';
    const ctx: ProbeContext = {
      client: options.client,
      config: options.config,
      logger,
      runId,
      namespace,
      measurements,
      failedStep,
      inCluster: options.inCluster ?? options.client.access.source === 'in-cluster',
      stopping: runSignal.aborted,
      signal: step.always ? timeout.signal : AbortSignal.any([timeout.signal, runSignal]),
      progress: (text) => {
        note = text;
        logger.debug({ step: step.name }, text);
      },
    };
    const skipReason = step.skip?.(ctx);
    if (skipReason !== undefined) {
      push('skipped', skipReason);
      continue;
    }
    const timer = setTimeout(() => timeout.abort(new Error(`step ${step.name} timed out`)), step.timeoutMs);
    let hardTimer: NodeJS.Timeout | undefined;
    const hardLimit = new Promise<'overrun'>((resolve) => {
      hardTimer = setTimeout(() => resolve('overrun'), step.timeoutMs + overrunGraceMs);
    });
    try {
      const outcome = await Promise.race([step.run(ctx).then((detail) => ({ detail })), hardLimit]);
      if (outcome === 'overrun')
        throw new ProbeFailure(`no result ${seconds(step.timeoutMs)} after the start (last: ${note})`);
      push('passed', outcome.detail ?? '');
    } catch (error) {
      let message: string;
      if (error instanceof ProbeFailure) message = error.message;
      else if (timeout.signal.aborted) message = `timed out after ${seconds(step.timeoutMs)} while ${note}`;
      else if (runSignal.aborted && !step.always) message = `cancelled while ${note}`;
      else message = error instanceof Error ? error.message : String(error);
      push('failed', message);
      failedStep ??= step.name;
      failure ??= `${step.name}: ${message}`;
    } finally {
      clearTimeout(timer);
      clearTimeout(hardTimer);
      // Ends whatever the step left polling or watching.
      timeout.abort(new Error(`step ${step.name} ended`));
    }
  }
  const result: ProbeResult = {
    runId,
    namespace,
    ok: failedStep === undefined,
    startedAt,
    durationMs: performance.now() - t0,
    steps: results,
    measurements,
  };
  if (failure !== undefined) result.failure = failure;
  return result;
}
