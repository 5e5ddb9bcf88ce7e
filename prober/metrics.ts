import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Buckets of step durations; 1 s, 5 s and 30 s are the SLO thresholds alerts compare with. */
export const stepDurationBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Buckets of pod startup latency; 5 s is the SIG-scalability SLO. */
export const podStartupBuckets = [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60];

/** Every metric of the prober. Alerts and dashboards use these names. */
export interface ProberMetrics {
  /** 1 when the last run passed every step, 0 otherwise. */
  success: Gauge;
  /** Duration of each step of each run, by step. */
  stepDuration: Histogram;
  /** 1 when the step passed in the last run, 0 when it failed or was skipped after a failure. */
  stepSuccess: Gauge;
  /** Unix time of the end of the last successful run; the watchdog alert fires when it gets old. */
  lastSuccess: Gauge;
  /** Unix time of the end of the last run, whatever its result. */
  lastRun: Gauge;
  /** Runs by result (success, failure). */
  runs: Counter;
  /** Failed runs since the last successful one. */
  consecutiveFailures: Gauge;
  /** Time from a probe pod's ADDED event to the event showing it Ready. */
  podStartup: Histogram;
  /** Time from creating a ConfigMap to its ADDED event on a watch. */
  watchLatency: Histogram;
  /** Namespaces of crashed runs deleted by later runs. */
  leftoversCollected: Counter;
  /** Duration of the last whole run. */
  runDuration: Gauge;
}

/** Registers the prober's metrics on `registry`. */
export function createProberMetrics(registry: Registry): ProberMetrics {
  const registers = [registry];
  return {
    success: new Gauge({
      name: 'watchkeeper_probe_success',
      help: '1 when the last probe run passed every step, 0 otherwise.',
      registers,
    }),
    stepDuration: new Histogram({
      name: 'watchkeeper_probe_step_duration_seconds',
      help: 'Duration of each probe step.',
      labelNames: ['step'],
      buckets: stepDurationBuckets,
      registers,
    }),
    stepSuccess: new Gauge({
      name: 'watchkeeper_probe_step_success',
      help: '1 when the step passed in the last run, 0 when it failed or was skipped after an earlier failure.',
      labelNames: ['step'],
      registers,
    }),
    lastSuccess: new Gauge({
      name: 'watchkeeper_probe_last_success_timestamp_seconds',
      help: 'Unix time the last successful probe run ended.',
      registers,
    }),
    lastRun: new Gauge({
      name: 'watchkeeper_probe_last_run_timestamp_seconds',
      help: 'Unix time the last probe run ended, whatever its result.',
      registers,
    }),
    runs: new Counter({
      name: 'watchkeeper_probe_runs_total',
      help: 'Probe runs by result.',
      labelNames: ['result'],
      registers,
    }),
    consecutiveFailures: new Gauge({
      name: 'watchkeeper_probe_consecutive_failures',
      help: 'Failed probe runs since the last successful one.',
      registers,
    }),
    podStartup: new Histogram({
      name: 'watchkeeper_probe_pod_startup_latency_seconds',
      help: 'Time from a probe pod appearing on a watch to it being Ready.',
      buckets: podStartupBuckets,
      registers,
    }),
    watchLatency: new Histogram({
      name: 'watchkeeper_probe_watch_latency_seconds',
      help: 'Time from creating an object to its ADDED watch event.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    }),
    leftoversCollected: new Counter({
      name: 'watchkeeper_probe_leftover_namespaces_collected_total',
      help: 'Namespaces of crashed probe runs deleted by later runs.',
      registers,
    }),
    runDuration: new Gauge({
      name: 'watchkeeper_probe_run_duration_seconds',
      help: 'Duration of the last probe run.',
      registers,
    }),
  };
}
