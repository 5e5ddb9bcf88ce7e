import type { ScrapedExposition } from '../exposition/scraped-exposition.ts';
import type { ScrapeMetrics } from '../metrics.ts';
import type { FamilyMeta, Labels, Sample, SampleColumns, ScrapeBatch, TargetLabels } from '../types.ts';
import { ExpositionParseError } from '../types.ts';
import type { ScrapeClient } from './client.ts';
import { formatFromContentType, parseExposition } from './parse/index.ts';
import { ScrapeError } from './scrape-error.ts';
import type { ScrapeSettings } from './scrape-settings.ts';
import { syntheticFamilies } from './synthetic-series.ts';
import { mergeTargetLabels } from '../target-labels.ts';
import { renameConflicts, TargetSeries, type SeriesBudget } from './target-series.ts';
import type { ResolvedTarget } from './target-url.ts';

/** State of a target as `metrics targets` and /metrics tell it. */
export type TargetHealth = 'unknown' | 'up' | 'down';

/** What one target's scrape loop needs from the engine. */
export interface ScrapeTargetDeps {
  client: ScrapeClient;
  metrics: ScrapeMetrics;
  budget: SeriesBudget;
  perTargetLimit: number;
  exposition?: ScrapedExposition;
  /** Receives each scrape's batch; absent when no sink is configured (samples are then not copied). */
  publish?: (batch: ScrapeBatch) => void;
  /** Metric relabeling on a sample with the target labels merged: the sample to keep, or undefined to drop it. */
  relabelSample?: (sample: Sample) => Sample | undefined;
}

/** Columns being filled. */
type Mutable<T> = { [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

function emptyColumns(): Mutable<SampleColumns> {
  return { keys: [], values: [], timestampsMs: [] };
}

const syntheticMeta = new Map<string, FamilyMeta>(Object.values(syntheticFamilies).map((f) => [f.name, f]));

/**
 * One scrape target: its URL, labels, series and health. {@link ScrapeTarget.scrape} runs one scrape:
 * GET, stream-parse into the series store (sample limit and cardinality guard applied), synthetic
 * series, staleness, self-metrics, and one batch to the sinks.
 */
export class ScrapeTarget {
  health: TargetHealth = 'unknown';
  lastError: string | undefined;
  lastScrapeMs: number | undefined;
  lastDurationSeconds = 0;
  /** Completed scrapes, successful or not. */
  scrapes = 0;
  /** The samples of the last successful scrape. */
  lastSamples = 0;
  private readonly series: TargetSeries;
  private readonly synthetic: TargetSeries;
  /** Labels before relabeling, as the source gave them. */
  readonly discovered: TargetLabels;
  readonly resolved: ResolvedTarget;
  readonly settings: ScrapeSettings;
  private readonly deps: ScrapeTargetDeps;

  constructor(discovered: TargetLabels, resolved: ResolvedTarget, settings: ScrapeSettings, deps: ScrapeTargetDeps) {
    this.discovered = discovered;
    this.resolved = resolved;
    this.settings = settings;
    this.deps = deps;
    const { perTargetLimit, budget, exposition } = deps;
    this.series = new TargetSeries(resolved.labels, settings.honorLabels, perTargetLimit, budget, exposition);
    // Synthetic series never count against the limits: up must be exposed even for a target over them.
    const unlimited = Number.MAX_SAFE_INTEGER;
    this.synthetic = new TargetSeries(resolved.labels, true, unlimited, { total: 0, limit: unlimited }, exposition);
  }

  /** The engine's key of this target: job and URL. */
  get key(): string {
    return `${this.settings.job} ${this.resolved.url.href}`;
  }

  /** Series held for this target (synthetic ones excluded). */
  get seriesCount(): number {
    return this.series.size;
  }

  /** Runs one scrape; never throws (a failure is counted, logged by the caller from lastError, and stored as up=0). */
  async scrape(parent: AbortSignal): Promise<void> {
    const { metrics, publish } = this.deps;
    const job = this.settings.job;
    const started = Date.now();
    const startedHr = process.hrtime.bigint();
    const samples = publish ? emptyColumns() : undefined;
    const families = new Map<string, FamilyMeta>();
    let lastFamily: FamilyMeta | undefined;
    const stale: string[] = [];
    const onStale = publish
      ? (key: string): void => {
          stale.push(key);
        }
      : undefined;
    const signal = AbortSignal.any([parent, AbortSignal.timeout(this.settings.timeoutMs)]);
    metrics.scrapes.inc({ scrape_job: job });
    const before = this.series.size;
    let scraped = 0;
    let kept = 0;
    this.series.begin();
    try {
      const response = await this.deps.client.get(this.resolved.url, signal);
      const format = formatFromContentType(response.contentType);
      if (format === undefined) {
        throw new ScrapeError('parse', `${this.resolved.url.host}: cannot read Content-Type "${response.contentType}"`);
      }
      const limit = this.settings.sampleLimit;
      const { labels: targetLabels } = this.resolved;
      const honor = this.settings.honorLabels;
      await parseExposition(response.body, format, {
        sample: (raw, family) => {
          scraped++;
          if (limit > 0 && scraped > limit) {
            const message = `${this.resolved.url.host}: more than sampleLimit (${limit}) samples`;
            throw new ScrapeError('sample_limit', message);
          }
          // The parser hands over a fresh Sample per line: it is kept as it is unless a label must be renamed.
          const labels = renameConflicts(raw.labels, targetLabels, honor);
          let sample: Sample | undefined = labels === raw.labels ? raw : { ...raw, labels };
          if (this.deps.relabelSample) sample = this.relabel(sample, this.deps.relabelSample);
          if (!sample) return;
          kept++;
          const key = this.series.sample(sample, family);
          if (key === undefined) return;
          if (samples) {
            // The batch takes the store's key string and the value, not the parsed objects: those die young
            // (see SampleColumns in types.ts for why).
            samples.keys.push(key);
            samples.values.push(sample.value);
            samples.timestampsMs.push(sample.timestampMs ?? Number.NaN);
            if (family !== lastFamily) {
              families.set(family.name, family);
              lastFamily = family;
            }
          }
        },
      });
      const result = this.series.commit(onStale);
      this.health = 'up';
      this.lastError = undefined;
      this.lastSamples = scraped;
      metrics.samplesScraped.inc({ scrape_job: job }, scraped);
      const { droppedTargetLimit, droppedTotalLimit } = result;
      const dropped = metrics.seriesDropped;
      if (droppedTargetLimit > 0) dropped.inc({ scrape_job: job, reason: 'target_limit' }, droppedTargetLimit);
      if (droppedTotalLimit > 0) dropped.inc({ scrape_job: job, reason: 'total_limit' }, droppedTotalLimit);
      this.finish(started, startedHr, { up: 1, scraped, kept, added: result.added }, samples, families, stale);
    } catch (error) {
      const failure = this.failure(error, signal);
      this.series.clear(onStale);
      this.health = 'down';
      this.lastError = failure.message;
      metrics.scrapeErrors.inc({ scrape_job: job, reason: failure.reason });
      const nothing = { up: 0, scraped: 0, kept: 0, added: 0 };
      this.finish(started, startedHr, nothing, samples ? emptyColumns() : undefined, families, stale);
    } finally {
      metrics.seriesActive.inc({ scrape_job: job }, this.series.size - before);
    }
  }

  /**
   * Forgets every series: they leave /metrics and, when `markStale` (the target went away), go to the sinks as
   * stale. On shutdown they are not marked, as Prometheus does, so that a restart leaves no gap in the series.
   */
  remove(markStale = true): void {
    const stale: string[] = [];
    const onStale =
      this.deps.publish && markStale
        ? (key: string): void => {
            stale.push(key);
          }
        : undefined;
    const before = this.series.size;
    this.series.clear(onStale);
    this.synthetic.clear(onStale);
    this.deps.metrics.seriesActive.dec({ scrape_job: this.settings.job }, before);
    if (this.deps.publish && stale.length > 0) {
      this.deps.publish({
        ...this.ref(),
        timestampMs: Date.now(),
        samples: emptyColumns(),
        families: new Map(),
        stale,
      });
    }
  }

  /** The stored series with target labels (CLI, tests). */
  *samples(): Generator<Sample> {
    yield* this.synthetic.samples();
    yield* this.series.samples();
  }

  private finish(
    started: number,
    startedHr: bigint,
    counts: { up: number; scraped: number; kept: number; added: number },
    samples: Mutable<SampleColumns> | undefined,
    families: Map<string, FamilyMeta>,
    stale: string[],
  ): void {
    const seconds = Number(process.hrtime.bigint() - startedHr) / 1e9;
    this.lastDurationSeconds = seconds;
    this.lastScrapeMs = started;
    this.scrapes++;
    this.deps.metrics.scrapeDuration.observe({ scrape_job: this.settings.job }, seconds);
    const values: [string, number][] = [
      [syntheticFamilies.up.name, counts.up],
      [syntheticFamilies.duration.name, seconds],
      [syntheticFamilies.samplesScraped.name, counts.scraped],
      [syntheticFamilies.samplesPostRelabeling.name, counts.kept],
      [syntheticFamilies.seriesAdded.name, counts.added],
    ];
    this.synthetic.begin();
    for (const [name, value] of values) {
      const meta = syntheticMeta.get(name)!;
      const key = this.synthetic.sample({ name, labels: {}, value }, meta);
      if (samples && key !== undefined) {
        samples.keys.push(key);
        samples.values.push(value);
        samples.timestampsMs.push(Number.NaN);
        families.set(name, meta);
      }
    }
    this.synthetic.commit();
    if (samples) this.deps.publish?.({ ...this.ref(), timestampMs: started, samples, families, stale });
  }

  private failure(error: unknown, signal: AbortSignal): ScrapeError {
    if (error instanceof ScrapeError) return error;
    const host = this.resolved.url.host;
    if (error instanceof ExpositionParseError) {
      return new ScrapeError('parse', `${host}: ${error.message}`, { cause: error });
    }
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
      return timedOut
        ? new ScrapeError('timeout', `${host}: no complete answer within the timeout`)
        : new ScrapeError('other', `${host}: scrape cancelled`);
    }
    const message = error instanceof Error ? error.message : String(error);
    return new ScrapeError('other', `${host}: ${message}`, { cause: error });
  }

  /**
   * Runs metric relabeling on the sample with its target labels, as Prometheus does, then takes back out
   * the target labels the rules left as they were: they are stored once per target, not per series.
   */
  private relabel(sample: Sample, hook: (sample: Sample) => Sample | undefined): Sample | undefined {
    const targetLabels = this.resolved.labels;
    const out = hook({ ...sample, labels: mergeTargetLabels(sample.labels, targetLabels, this.settings.honorLabels) });
    if (!out) return undefined;
    const labels = { ...out.labels };
    for (const name in targetLabels) if (labels[name] === targetLabels[name]) delete labels[name];
    return { ...out, labels };
  }

  private ref(): Pick<ScrapeBatch, 'target' | 'honorLabels'> {
    const labels: Labels = this.resolved.labels;
    const target = { job: this.settings.job, instance: labels.instance ?? this.resolved.url.host, labels };
    return { target, honorLabels: this.settings.honorLabels };
  }
}
