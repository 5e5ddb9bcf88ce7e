import { exposedName } from '../exposition/exposed-name.ts';
import type { ScrapedExposition, SeriesGroup, StoredValue } from '../exposition/scraped-exposition.ts';
import { mergeTargetLabels } from '../target-labels.ts';
import type { FamilyMeta, Labels, Sample } from '../types.ts';
import { parseSeriesKey, seriesKey } from './series-key.ts';

/** The value of one series and the scrape that last saw it. */
class SeriesValue implements StoredValue {
  value: number;
  seen: number;
  /** The map's key, handed to the sinks so a batch references this string instead of a fresh copy. */
  readonly key: string;
  constructor(value: number, seen: number, key: string) {
    this.value = value;
    this.seen = seen;
    this.key = key;
  }
}

/** Where the samples of one sample name go, remembered across scrapes to skip the name mapping. */
interface Route {
  familyType: FamilyMeta['type'];
  group: SeriesGroup<SeriesValue>;
}

/** Counts shared by every target: the global series limit. */
export class SeriesBudget {
  /** Series held by all targets together. */
  total = 0;
  /** Most series all targets may hold. */
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
}

/** What one scrape did to a target's series. */
export interface IngestResult {
  /** Series seen for the first time (or again after being dropped or stale). */
  added: number;
  /** New series refused by the cardinality guard, by which limit. */
  droppedTargetLimit: number;
  droppedTotalLimit: number;
}

/**
 * The series of one target: the latest value of each, for /metrics, and what the previous scrape
 * saw, for staleness. A scrape is ingested sample by sample ({@link TargetSeries.sample}) and closed
 * by {@link TargetSeries.commit} (series not seen become stale) or {@link TargetSeries.clear} (a
 * failed scrape or a removed target: every series becomes stale, as Prometheus does).
 *
 * Memory per series: the key string (16 bytes + one byte per character of name and labels), a
 * SeriesValue (about 28 bytes with its boxed double) and a Map slot (about 30 bytes). Measured by
 * bench/metrics-store (100,000 series of bench/metrics' mix, pod-like labels, keys of ~130
 * characters): 369 bytes of heap per series, against the 1 KiB goal. What bounds it is the length of
 * the series' labels, and the number of series by `limits.seriesPerTarget` and `limits.seriesTotal`
 * (the cardinality guard); the keys of one target never add up to more than its last body, so
 * long labels are bounded by `bodySizeLimitBytes`. /metrics is written from the keys in chunks
 * (exposition/scraped-exposition.ts), so answering it adds no per-series memory.
 */
export class TargetSeries {
  private readonly routes = new Map<string, Route>();
  private readonly groups = new Map<string, Route['group']>();
  /** The sample names routed to each group, so dropping a group does not scan every route (quadratic in families). */
  private readonly groupRoutes = new Map<Route['group'], string[]>();
  private epoch = 0;
  private count = 0;
  private result: IngestResult = { added: 0, droppedTargetLimit: 0, droppedTotalLimit: 0 };

  private readonly targetLabels: Labels;
  private readonly honorLabels: boolean;
  private readonly perTargetLimit: number;
  private readonly budget: SeriesBudget;
  private readonly exposition: ScrapedExposition | undefined;

  constructor(
    targetLabels: Labels,
    honorLabels: boolean,
    perTargetLimit: number,
    budget: SeriesBudget,
    exposition: ScrapedExposition | undefined,
  ) {
    this.targetLabels = targetLabels;
    this.honorLabels = honorLabels;
    this.perTargetLimit = perTargetLimit;
    this.budget = budget;
    this.exposition = exposition;
  }

  /** Series currently held. */
  get size(): number {
    return this.count;
  }

  /** Starts ingesting a scrape. */
  begin(): void {
    this.epoch++;
    this.result = { added: 0, droppedTargetLimit: 0, droppedTotalLimit: 0 };
  }

  /**
   * Stores one sample (labels already renamed for conflicts with the target labels). Returns the series'
   * stored key (series-key.ts), or undefined when the cardinality guard refused a new series.
   */
  sample(sample: Sample, family: FamilyMeta): string | undefined {
    let route = this.routes.get(sample.name);
    if (route?.familyType !== family.type) {
      // A name not seen yet cannot be a known series: refuse it before it costs a route and a family.
      if (this.count >= this.perTargetLimit) {
        this.result.droppedTargetLimit++;
        return undefined;
      }
      if (this.budget.total >= this.budget.limit) {
        this.result.droppedTotalLimit++;
        return undefined;
      }
      route = this.route(sample.name, family);
    }
    const key = seriesKey(sample.name, sample.labels);
    const stored = route.group.series.get(key);
    if (stored) {
      stored.value = sample.value;
      stored.seen = this.epoch;
      return stored.key;
    }
    if (this.count >= this.perTargetLimit) {
      this.result.droppedTargetLimit++;
      return undefined;
    }
    if (this.budget.total >= this.budget.limit) {
      this.result.droppedTotalLimit++;
      return undefined;
    }
    route.group.series.set(key, new SeriesValue(sample.value, this.epoch, key));
    this.count++;
    this.budget.total++;
    this.result.added++;
    return key;
  }

  /** Ends a successful scrape; returns the counts and calls `onStale` with the key of each series not seen. */
  commit(onStale?: (key: string) => void): IngestResult {
    for (const group of this.groups.values()) {
      for (const [key, stored] of group.series) {
        if (stored.seen === this.epoch) continue;
        group.series.delete(key);
        this.forget(1);
        if (onStale) onStale(key);
      }
      if (group.series.size === 0) this.dropGroup(group);
    }
    return this.result;
  }

  /** Forgets every series (failed scrape, target removed), calling `onStale` with the key of each. */
  clear(onStale?: (key: string) => void): void {
    for (const group of this.groups.values()) {
      if (onStale) for (const key of group.series.keys()) onStale(key);
      this.forget(group.series.size);
      group.series.clear();
      this.dropGroup(group);
    }
  }

  /** The stored series as samples with the target labels merged (CLI, tests). */
  *samples(): Generator<Sample> {
    for (const group of this.groups.values()) {
      for (const [key, stored] of group.series) {
        const { name, labels } = parseSeriesKey(key);
        yield { name, labels: mergeTargetLabels(labels, this.targetLabels, this.honorLabels), value: stored.value };
      }
    }
  }

  private forget(n: number): void {
    this.count -= n;
    this.budget.total -= n;
  }

  private route(sampleName: string, family: FamilyMeta): Route {
    const exposed = exposedName(sampleName, family);
    let group = this.groups.get(exposed.family);
    if (!group) {
      group = {
        family: exposed.family,
        type: exposed.type,
        help: family.help ?? '',
        targetLabels: this.targetLabels,
        seriesLabelsWin: this.honorLabels,
        series: new Map<string, SeriesValue>(),
      };
      this.groups.set(exposed.family, group);
      this.exposition?.attach(group);
    }
    const route: Route = { familyType: family.type, group };
    this.routes.set(sampleName, route);
    let names = this.groupRoutes.get(group);
    if (!names) {
      names = [];
      this.groupRoutes.set(group, names);
    }
    names.push(sampleName);
    return route;
  }

  private dropGroup(group: Route['group']): void {
    this.groups.delete(group.family);
    this.exposition?.detach(group);
    // Measured in a 60 s bench/metrics run: scanning every route per dropped group took 0.7 s of CPU when a failed
    // scrape dropped all 62,000 families of the bench target; the per-group list makes it linear.
    for (const name of this.groupRoutes.get(group) ?? [])
      if (this.routes.get(name)?.group === group) this.routes.delete(name);
    this.groupRoutes.delete(group);
  }
}

/**
 * Renames the labels of a scraped sample that collide with target labels to `exported_<name>`
 * (honorLabels false, Prometheus' default); with honorLabels true they are kept as scraped.
 * Returns the same object when nothing collides.
 */
export function renameConflicts(labels: Labels, targetLabels: Labels, honorLabels: boolean): Labels {
  if (honorLabels) return labels;
  let renamed: Labels | undefined;
  for (const name in labels) {
    if (!(name in targetLabels)) continue;
    renamed ??= { ...labels };
    delete renamed[name];
    renamed[`exported_${name}`] = labels[name]!;
  }
  return renamed ?? labels;
}
