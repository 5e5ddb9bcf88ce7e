import type { Registry } from 'prom-client';
import type { Logger } from '../../../core/log.ts';
import { ScrapedExposition } from '../exposition/scraped-exposition.ts';
import { createScrapeMetrics, type ScrapeMetrics } from '../metrics.ts';
import type { Labels, MetricsSink, Sample, ScrapeBatch, TargetLabels, TargetSource } from '../types.ts';
import { ScrapeClient } from './client.ts';
import { ScrapeLoop } from './scrape-loop.ts';
import type { ScrapeSettings } from './scrape-settings.ts';
import { ScrapeTarget, type TargetHealth } from './scrape-target.ts';
import { SeriesBudget } from './target-series.ts';
import { resolveTarget } from './target-url.ts';

/** Options of {@link ScrapeEngine}. */
export interface ScrapeEngineOptions {
  registry: Registry;
  logger: Logger;
  limits: { seriesPerTarget: number; seriesTotal: number };
  /** Outputs; each gets every scrape's batch through its non-blocking push. */
  sinks?: readonly MetricsSink[];
  /** Expose scraped series at the registry's /metrics (default true; false for one-off CLI scrapes). */
  expose?: boolean;
  /** Run scrape loops (default true); false: targets are only scraped by {@link ScrapeEngine.scrapeAllOnce}. */
  loops?: boolean;
  /** Metrics of an engine already created on this registry (a second engine on one registry). */
  metrics?: ScrapeMetrics;
}

/** How one job turns its source's target labels into scrape targets. */
export interface JobRelabeling {
  /** Target relabeling (issue 12): the labels to scrape with, or undefined to drop the target. */
  target?: (labels: TargetLabels) => TargetLabels | undefined;
  /** Metric relabeling on a sample whose labels include the target labels: the sample to keep, or undefined. */
  sample?: (sample: Sample) => Sample | undefined;
}

/** A target as `metrics targets` shows it. */
export interface TargetStatus {
  job: string;
  url: string;
  health: TargetHealth;
  lastError?: string;
  lastScrapeMs?: number;
  lastDurationSeconds: number;
  scrapes: number;
  samples: number;
  series: number;
  /** Labels from the source, before relabeling. */
  discoveredLabels: TargetLabels;
  /** Labels every sample gets. */
  labels: Labels;
}

interface Job {
  settings: ScrapeSettings;
  source: TargetSource;
  client: ScrapeClient;
  relabeling: JobRelabeling;
  targets: Map<string, { target: ScrapeTarget; loop?: ScrapeLoop }>;
  /** Targets that could not be turned into a URL, by reason (shown once per change). */
  invalid: string[];
  /** Targets target relabeling dropped, with their labels before relabeling. */
  dropped: TargetLabels[];
}

/**
 * The scrape engine: jobs (a TargetSource and scrape settings each), one scrape loop per target,
 * the series store with its cardinality guard, the exposition at /metrics and the fan-out to sinks.
 */
export class ScrapeEngine {
  readonly metrics: ScrapeMetrics;
  private readonly jobs = new Map<string, Job>();
  private readonly budget: SeriesBudget;
  private readonly exposition: ScrapedExposition | undefined;
  private readonly logger: Logger;
  private started = false;
  private readonly options: ScrapeEngineOptions;

  constructor(options: ScrapeEngineOptions) {
    this.options = options;
    this.metrics = options.metrics ?? createScrapeMetrics(options.registry);
    this.budget = new SeriesBudget(options.limits.seriesTotal);
    this.exposition = options.expose === false ? undefined : new ScrapedExposition(options.registry);
    this.logger = options.logger.child({ component: 'metrics' });
  }

  /** Adds a job; its source is started by {@link ScrapeEngine.start}. */
  addJob(settings: ScrapeSettings, source: TargetSource, relabeling: JobRelabeling = {}): void {
    if (this.jobs.has(settings.job)) throw new Error(`job ${settings.job} is configured twice`);
    this.jobs.set(settings.job, {
      settings,
      source,
      relabeling,
      client: new ScrapeClient(settings.client),
      targets: new Map(),
      invalid: [],
      dropped: [],
    });
  }

  /** Starts every job's source; targets start scraping at their slot. */
  async start(): Promise<void> {
    this.started = true;
    for (const job of this.jobs.values()) {
      await job.source.start((targets) => {
        this.setTargets(job, targets);
      });
    }
    this.logger.info({ jobs: [...this.jobs.keys()], targets: this.targetCount() }, 'Metrics collectors started.');
  }

  /** Whether every source has started. */
  get ready(): boolean {
    return this.started;
  }

  /** Scrapes every target once, all at the same time (CLI). */
  async scrapeAllOnce(signal: AbortSignal = new AbortController().signal): Promise<void> {
    await Promise.all(
      [...this.jobs.values()].flatMap((job) =>
        [...job.targets.values()].map(async ({ target }) => {
          await target.scrape(signal);
          this.afterScrape(job, target, 'unknown');
        }),
      ),
    );
  }

  /** Every target with its state. */
  targets(): TargetStatus[] {
    const list: TargetStatus[] = [];
    for (const job of this.jobs.values()) {
      for (const { target } of job.targets.values()) {
        list.push({
          job: job.settings.job,
          url: target.resolved.url.href,
          health: target.health,
          ...(target.lastError ? { lastError: target.lastError } : {}),
          ...(target.lastScrapeMs ? { lastScrapeMs: target.lastScrapeMs } : {}),
          lastDurationSeconds: target.lastDurationSeconds,
          scrapes: target.scrapes,
          samples: target.lastSamples,
          series: target.seriesCount,
          discoveredLabels: target.discovered,
          labels: target.resolved.labels,
        });
      }
    }
    return list;
  }

  /** Targets that could not be scraped at all (bad address, scheme...), with the reason. */
  invalidTargets(): { job: string; reason: string }[] {
    return [...this.jobs.values()].flatMap((job) => job.invalid.map((reason) => ({ job: job.settings.job, reason })));
  }

  /** Targets dropped by target relabeling, with their labels before relabeling. */
  droppedTargets(): { job: string; discoveredLabels: TargetLabels }[] {
    return [...this.jobs.values()].flatMap((job) =>
      job.dropped.map((labels) => ({ job: job.settings.job, discoveredLabels: labels })),
    );
  }

  /** The scrape target objects of a job (tests). */
  scrapeTargets(job: string): ScrapeTarget[] {
    return [...(this.jobs.get(job)?.targets.values() ?? [])].map((t) => t.target);
  }

  /**
   * Stops sources and loops and forgets every series, without marking them stale (a restart must not leave
   * a gap, as in Prometheus). Sinks are closed by their owner.
   */
  async stop(): Promise<void> {
    for (const job of this.jobs.values()) {
      await job.source.stop();
      await Promise.all([...job.targets.values()].map((t) => this.removeTarget(job, t, false)));
      job.targets.clear();
      job.client.close();
    }
    this.logger.info('Metrics collectors stopped.');
  }

  private setTargets(job: Job, discovered: readonly TargetLabels[]): void {
    const wanted = new Map<string, { discovered: TargetLabels; target: ScrapeTarget }>();
    const invalid: string[] = [];
    const dropped: TargetLabels[] = [];
    for (const labels of discovered) {
      const relabeled = job.relabeling.target ? job.relabeling.target(labels) : labels;
      if (!relabeled) {
        dropped.push(labels);
        continue;
      }
      try {
        const resolved = resolveTarget(relabeled, job.settings.job);
        const target = new ScrapeTarget(labels, resolved, job.settings, {
          client: job.client,
          metrics: this.metrics,
          budget: this.budget,
          perTargetLimit: this.options.limits.seriesPerTarget,
          ...(this.exposition ? { exposition: this.exposition } : {}),
          ...(this.options.sinks?.length
            ? {
                publish: (batch: ScrapeBatch) => {
                  this.publish(batch);
                },
              }
            : {}),
          ...(job.relabeling.sample ? { relabelSample: job.relabeling.sample } : {}),
        });
        if (!wanted.has(target.key)) wanted.set(target.key, { discovered: labels, target });
      } catch (error) {
        invalid.push(error instanceof Error ? error.message : String(error));
      }
    }
    if (invalid.join('\n') !== job.invalid.join('\n') && invalid.length > 0) {
      this.logger.warn({ job: job.settings.job, invalid }, 'Some targets cannot be scraped and are left out.');
    }
    job.invalid = invalid;
    job.dropped = dropped;
    for (const [key, entry] of job.targets) {
      if (wanted.has(key)) continue;
      job.targets.delete(key);
      void this.removeTarget(job, entry);
    }
    for (const [key, { target }] of wanted) {
      if (job.targets.has(key)) continue;
      const entry: { target: ScrapeTarget; loop?: ScrapeLoop } = { target };
      if (this.options.loops !== false) {
        let previous: TargetHealth = 'unknown';
        entry.loop = new ScrapeLoop(target, (t) => {
          this.afterScrape(job, t, previous);
          previous = t.health;
        });
        entry.loop.start();
      }
      job.targets.set(key, entry);
    }
  }

  private async removeTarget(
    job: Job,
    entry: { target: ScrapeTarget; loop?: ScrapeLoop },
    markStale = true,
  ): Promise<void> {
    await entry.loop?.stop();
    const { target } = entry;
    if (target.health !== 'unknown') this.metrics.targets.dec({ scrape_job: job.settings.job, state: target.health });
    target.remove(markStale);
  }

  private afterScrape(job: Job, target: ScrapeTarget, previous: TargetHealth): void {
    if (target.health === previous) {
      if (target.health === 'down') {
        const url = target.resolved.url.href;
        this.logger.debug({ job: job.settings.job, url, error: target.lastError }, 'Scrape failed.');
      }
      return;
    }
    const name = job.settings.job;
    if (previous !== 'unknown') this.metrics.targets.dec({ scrape_job: name, state: previous });
    this.metrics.targets.inc({ scrape_job: name, state: target.health });
    if (target.health === 'down') {
      this.logger.warn({ job: name, url: target.resolved.url.href, error: target.lastError }, 'Target down.');
    } else if (previous === 'down') {
      this.logger.info({ job: name, url: target.resolved.url.href }, 'Target up again.');
    }
  }

  private publish(batch: ScrapeBatch): void {
    for (const sink of this.options.sinks ?? []) {
      try {
        sink.push(batch);
      } catch (error) {
        // push must not throw (MetricsSink contract); one that does must not stop the others.
        this.logger.error({ err: error, sink: sink.name }, 'Sink refused a batch.');
      }
    }
  }

  private targetCount(): number {
    let n = 0;
    for (const job of this.jobs.values()) n += job.targets.size;
    return n;
  }
}
