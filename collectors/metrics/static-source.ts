import type { StaticJobConfig } from './config.ts';
import type { TargetLabels, TargetSource } from './types.ts';

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
    const where = `job ${job}: target "${target}"`;
    if (!/^[a-z]+:\/\//i.test(target)) {
      const hostPort = !/[/?#@\s]/.test(target) && /:\d+$/.test(target);
      if (!hostPort) throw new Error(`${where} is neither host:port nor an http(s) URL`);
      return { __address__: target, __scheme__: scheme, __metrics_path__: metricsPath, ...params };
    }
    let url: URL;
    try { url = new URL(target); } catch { throw new Error(`${where} is not a valid URL`); }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`${where}: scheme must be http or https`);
    }
    if (url.username || url.password) throw new Error(`${where}: put credentials in basicAuth, not in the URL`);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    for (const [k, v] of url.searchParams) params[`__param_${k}`] = v;
    const address = `${url.hostname}:${port}`;
    return { __address__: address, __scheme__: url.protocol.slice(0, -1), __metrics_path__: url.pathname, ...params };
  }
}
