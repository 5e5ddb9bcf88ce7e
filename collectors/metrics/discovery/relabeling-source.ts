import type { CompiledRelabelRule } from '../relabel/relabel.ts';
import { relabelTarget, type TargetDefaults, type TargetRelabelResult } from '../relabel/target.ts';
import type { TargetLabels, TargetSource } from '../types.ts';
import type { DiscoveryMetrics } from './metrics.ts';

/** Decides which kept targets this replica scrapes (sharding); absent: all of them. */
export interface TargetOwnership {
  /** Whether this replica owns the target at `__address__` (or whatever key the sharding uses). */
  owns(target: TargetLabels): boolean;
  /** Tells when ownership may have changed (replicas came or went); returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** Options of {@link RelabelingTargetSource}. */
export interface RelabelingTargetSourceOptions {
  source: TargetSource;
  rules: readonly CompiledRelabelRule[];
  defaults: TargetDefaults;
  metrics?: DiscoveryMetrics;
  ownership?: TargetOwnership;
}

/**
 * Puts a job's relabel_configs (and sharding) between its discovery and the scrape engine: every update is
 * relabeled as Prometheus does it, counted (discovered, kept, dropped, invalid), filtered to the targets this
 * replica owns, and handed on as target labels the engine resolves (`__address__`, `__scheme__`,
 * `__metrics_path__`, `__param_*`, plus the public labels; `__meta_*` gone). Updates that change nothing
 * downstream are not passed on.
 */
export class RelabelingTargetSource implements TargetSource {
  readonly job: string;
  private readonly options: RelabelingTargetSourceOptions;
  private results: TargetRelabelResult[] = [];
  private lastSignature = '';
  private onChange: ((targets: readonly TargetLabels[]) => void) | undefined;
  private unsubscribeOwnership: (() => void) | undefined;

  constructor(options: RelabelingTargetSourceOptions) {
    this.options = options;
    this.job = options.source.job;
  }

  async start(onChange: (targets: readonly TargetLabels[]) => void): Promise<void> {
    this.onChange = onChange;
    this.unsubscribeOwnership = this.options.ownership?.onChange(() => {
      this.emit();
    });
    await this.options.source.start((targets) => {
      this.update(targets);
    });
  }

  async stop(): Promise<void> {
    this.unsubscribeOwnership?.();
    this.onChange = undefined;
    await this.options.source.stop();
  }

  /** The last update's targets with their labels before and after relabeling, and why dropped ones were dropped. */
  lastResults(): readonly TargetRelabelResult[] {
    return this.results;
  }

  private update(targets: readonly TargetLabels[]): void {
    const { rules, defaults, metrics } = this.options;
    this.results = targets.map((t) => relabelTarget(t, rules, defaults));
    if (metrics) {
      metrics.updates.inc({ scrape_job: this.job });
      metrics.targetsDiscovered.set({ scrape_job: this.job }, targets.length);
      const count = (test: (r: TargetRelabelResult) => boolean) => this.results.filter(test).length;
      metrics.targetsRelabeled.set(
        { scrape_job: this.job, result: 'kept' },
        count((r) => r.kept),
      );
      metrics.targetsRelabeled.set(
        { scrape_job: this.job, result: 'dropped' },
        count((r) => !r.kept && r.reason === 'relabel'),
      );
      metrics.targetsRelabeled.set(
        { scrape_job: this.job, result: 'invalid' },
        count((r) => !r.kept && r.reason !== 'relabel'),
      );
    }
    this.emit();
  }

  private emit(): void {
    if (!this.onChange) return;
    const kept: TargetLabels[] = [];
    for (const r of this.results) {
      if (!r.kept) continue;
      const params = Object.fromEntries(Object.entries(r.params).map(([k, v]) => [`__param_${k}`, v]));
      kept.push({
        ...r.labels,
        ...params,
        __address__: r.address,
        __scheme__: r.scheme,
        __metrics_path__: r.metricsPath,
      });
    }
    const ownership = this.options.ownership;
    const owned = ownership ? kept.filter((t) => ownership.owns(t)) : kept;
    if (this.options.metrics) {
      this.options.metrics.shardTargets.set({ scrape_job: this.job, owner: 'owned' }, owned.length);
      this.options.metrics.shardTargets.set({ scrape_job: this.job, owner: 'other' }, kept.length - owned.length);
    }
    const signature = JSON.stringify(owned);
    if (signature === this.lastSignature) return;
    this.lastSignature = signature;
    this.onChange(owned);
  }
}
