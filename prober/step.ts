import type { KubeClient } from '../core/kube/client.ts';
import type { Logger } from '../core/log.ts';
import type { ProberConfig } from './config.ts';

/** What the steps of one run share. */
export interface ProbeContext {
  client: KubeClient;
  config: ProberConfig;
  logger: Logger;
  /** Unique id of this run, part of the namespace name and a label value. */
  runId: string;
  /** The run's ephemeral namespace. */
  namespace: string;
  /** Aborts when the step's time is up or the run is cancelled. */
  signal: AbortSignal;
  /** Whether watchkeeper runs inside the probed cluster (in-cluster credentials). */
  inCluster: boolean;
  /** True when the process is stopping: teardown deletes without waiting. */
  stopping: boolean;
  /** Measurements steps hand to the runner (metrics) and to later steps. */
  measurements: Measurements;
  /** Name of the first step that failed in this run, if any. */
  failedStep: string | undefined;
  /** Records what the step is doing now, quoted if it does not end within its time. */
  progress(note: string): void;
}

/** Values measured during a run. */
export interface Measurements {
  /** Pod startup latency of each probe pod, in ms. */
  podStartupMs: number[];
  /** Create-to-ADDED watch latency, in ms. */
  watchLatencyMs?: number;
  /** Namespaces of crashed runs deleted in this run. */
  leftoversCollected: number;
  /** Ready pods and their IPs, from the workload step. */
  readyPods?: { name: string; ip: string }[];
  /** True once the namespace step sent its create request. */
  namespaceRequested: boolean;
}

/** One step of a probe run. */
export interface ProbeStep {
  name: string;
  timeoutMs: number;
  /** Runs even when an earlier step failed (teardown). */
  always?: boolean;
  /** Returns a reason to skip the step (e.g. disabled by configuration), or undefined to run it. */
  skip?(ctx: ProbeContext): string | undefined;
  /** Does the step; throws {@link ProbeFailure} with a precise message, returns a short detail. */
  run(ctx: ProbeContext): Promise<string | undefined>;
}

/** A step's failure, with a message naming the object and what was expected vs seen. */
export class ProbeFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeFailure';
  }
}

/** Outcome of one step. */
export interface StepResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number;
  /** Failure reason, skip reason, or a short detail of a passed step. */
  message: string;
}

/** Outcome of one run. */
export interface ProbeResult {
  runId: string;
  namespace: string;
  ok: boolean;
  startedAt: Date;
  durationMs: number;
  steps: StepResult[];
  /** "step: reason" of the first failed step. */
  failure?: string;
  measurements: Measurements;
}
