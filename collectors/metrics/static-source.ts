import type { StaticJobConfig } from './config.ts';
import type { TargetLabels, TargetSource } from './types.ts';

const isUrl = (target: string): boolean => /^[a-z]+:\/\//i.test(target);

/** What is wrong with a static target as written in the config, or undefined when it is usable. */
export function staticTargetProblem(target: string): string | undefined {
  if (!isUrl(target)) {
    return !/[/?#@\s]/.test(target) && /:\d+$/.test(target) ? undefined : 'is neither host:port nor an http(s) URL';
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'has a scheme other than http or https';
  if (url.username || url.password) return 'has credentials in the URL: put them in basicAuth';
  return undefined;
}

/**
 * The targets of a static job as target labels, so that they go through the same engine (and
 * relabeling) as discovered ones. A target written as a URL sets scheme, path and params itself.
 */
export class StaticTargetSource implements TargetSource {
  readonly job: string;
  private readonly config: StaticJobConfig;

  constructor(config: StaticJobConfig) {
    this.config = config;
    this.job = config.job;
  }

  /** The target labels of every configured target; throws naming a target that is not valid. */
  targets(): TargetLabels[] {
    const { targets, labels, job } = this.config;
    return targets.map((target) => ({ ...this.baseLabels(target), ...labels, job }));
  }

  start(onChange: (targets: readonly TargetLabels[]) => void): Promise<void> {
    onChange(this.targets());
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  private baseLabels(target: string): TargetLabels {
    const { job, scheme, metricsPath } = this.config;
    const params = Object.fromEntries(Object.entries(this.config.params).map(([k, v]) => [`__param_${k}`, v]));
    const problem = staticTargetProblem(target);
    if (problem) throw new Error(`job ${job}: target "${target}" ${problem}`);
    if (!isUrl(target)) return { __address__: target, __scheme__: scheme, __metrics_path__: metricsPath, ...params };
    const url = new URL(target);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    for (const [k, v] of url.searchParams) params[`__param_${k}`] = v;
    const address = `${url.hostname}:${port}`;
    return { __address__: address, __scheme__: url.protocol.slice(0, -1), __metrics_path__: url.pathname, ...params };
  }
}
