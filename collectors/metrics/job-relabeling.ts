import type { StaticJobConfig } from './config.ts';
import { durationMs } from './duration.ts';
import { compileRelabelRules } from './relabel/relabel.ts';
import { relabelSample } from './relabel/sample.ts';
import { relabelTarget, type TargetDefaults } from './relabel/target.ts';
import type { JobRelabeling } from './scrape/engine.ts';
import type { TargetLabels } from './types.ts';

/**
 * The relabeling hooks of a static job: `relabelConfigs` on its targets (with the job's defaults filled in
 * first, as Prometheus does) and `metricRelabelConfigs` on its samples. A job without rules gets no hooks,
 * so its targets and samples are not copied. Per-target `__scrape_interval__`/`__scrape_timeout__` set by
 * rules are not used: the job's interval and timeout apply.
 */
export function staticJobRelabeling(job: StaticJobConfig): JobRelabeling {
  const targetRules = compileRelabelRules(job.relabelConfigs);
  const sampleRules = compileRelabelRules(job.metricRelabelConfigs);
  const defaults = jobTargetDefaults(job);
  const relabeling: JobRelabeling = {};
  if (targetRules.length > 0) {
    relabeling.target = (discovered) => {
      const result = relabelTarget(discovered, targetRules, defaults);
      if (!result.kept) return undefined;
      const labels: TargetLabels = {
        ...result.labels,
        __address__: result.address,
        __scheme__: result.scheme,
        __metrics_path__: result.metricsPath,
      };
      for (const [name, value] of Object.entries(result.params)) labels[`__param_${name}`] = value;
      return labels;
    };
  }
  if (sampleRules.length > 0) {
    relabeling.sample = (sample) => {
      const result = relabelSample(sample, sampleRules);
      return result.kept ? result.sample : undefined;
    };
  }
  return relabeling;
}

/** What relabeling fills in for a target of the job before its rules run (job, scheme, path, params, interval). */
export function jobTargetDefaults(job: StaticJobConfig): TargetDefaults {
  return {
    job: job.job,
    scheme: job.scheme,
    metricsPath: job.metricsPath,
    params: job.params,
    scrapeIntervalMs: durationMs(job.interval),
    scrapeTimeoutMs: durationMs(job.timeout),
  };
}
