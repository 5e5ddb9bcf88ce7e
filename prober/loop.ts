import type { KubeClient } from '../core/kube/client.ts';
import type { Logger } from '../core/log.ts';
import { sleep } from '../core/retry.ts';
import type { ProberConfig } from './config.ts';
import type { ProberMetrics } from './metrics.ts';
import { markFailed, recordProbeResult } from './record.ts';
import { runProbe } from './runner.ts';
import type { ProbeResult } from './step.ts';
import { probeSteps } from './steps/index.ts';

/** Options of {@link ProbeLoop}. */
export interface ProbeLoopOptions {
  client: KubeClient;
  config: ProberConfig;
  logger: Logger;
  metrics: ProberMetrics;
  /** Told about each finished run (tests, status). */
  onResult?(result: ProbeResult): void;
  /** Random source for the jitter (tests). */
  random?: () => number;
}

/** Time to wait before the next run: the interval, jittered by up to ±10%, minus what the last run took. */
export function nextDelayMs(intervalMs: number, lastRunMs: number, random: () => number = Math.random): number {
  const jittered = intervalMs * (0.9 + 0.2 * random());
  return Math.max(0, Math.round(jittered - lastRunMs));
}

/**
 * Runs a probe at once and then on the interval until stopped. A failing run never stops the loop;
 * results go to metrics and logs (one line per run at info when the verdict changes, debug otherwise).
 */
export class ProbeLoop {
  /** For the lifecycle's logs. */
  readonly name = 'prober';
  private readonly options: ProbeLoopOptions;
  private readonly controller = new AbortController();
  private done: Promise<void> | undefined;
  private lastOk: boolean | undefined;

  constructor(options: ProbeLoopOptions) {
    this.options = options;
  }

  /** Starts the loop in the background. */
  start(): void {
    this.done ??= this.run().catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'Probe loop ended unexpectedly.');
    });
  }

  /** Cancels the current run (its namespace deletion is still requested) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.controller.abort(new Error('prober stopping'));
    await this.done;
  }

  private async run(): Promise<void> {
    const { config, logger, metrics } = this.options;
    const steps = probeSteps(config);
    const signal = this.controller.signal;
    while (!signal.aborted) {
      const result = await runProbe({
        client: this.options.client,
        config,
        logger,
        steps,
        signal,
        // The verdict is known at the first failure: publish it now rather than after teardown.
        onStep: (step) => {
          if (step.status === 'failed') markFailed(metrics, step.name);
        },
      });
      recordProbeResult(metrics, result);
      this.options.onResult?.(result);
      const fields = {
        run: result.runId,
        ok: result.ok,
        seconds: Number((result.durationMs / 1000).toFixed(1)),
        failure: result.failure,
      };
      if (this.lastOk !== result.ok) logger.info(fields, result.ok ? 'Probe passed.' : 'Probe failed.');
      else logger.debug(fields, 'Probe run finished.');
      this.lastOk = result.ok;
      await sleep(nextDelayMs(config.intervalSeconds * 1000, result.durationMs, this.options.random), signal).catch(
        () => undefined,
      );
    }
  }
}
