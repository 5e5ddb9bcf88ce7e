import type { Metric, Registry } from 'prom-client';
import { parseSeriesKey } from '../scrape/series-key.ts';
import type { Labels } from '../types.ts';
import type { ExposedType } from './exposed-name.ts';

/** One stored value of a series. */
export interface StoredValue {
  value: number;
}

/**
 * The series of one family from one target: what a target store hands to the exposition.
 * `series` maps {@link import('../scrape/series-key.ts').seriesKey} to the latest value.
 */
export interface SeriesGroup<V extends StoredValue = StoredValue> {
  family: string;
  type: ExposedType;
  help: string;
  /** The target labels (job, instance...), shared by every series of the target. */
  targetLabels: Labels;
  /** When true, a series label wins over a target label of the same name (honorLabels). */
  seriesLabelsWin: boolean;
  series: Map<string, V>;
}

interface PromValue {
  value: number;
  labels: Labels;
  sharedLabels?: Labels;
  metricName?: string;
}

interface PromMetricObject {
  name: string;
  help: string;
  type: string;
  values: PromValue[];
  aggregator: string;
}

/** What prom-client's registry needs of a registered metric. */
interface RegisteredMetric {
  name: string;
  help: string;
  type: string;
  get(): Promise<PromMetricObject>;
  reset(): void;
}

/**
 * One family of the agent's /metrics built from the stored values of every target exposing it,
 * written by prom-client's registry like its own metrics (both text and OpenMetrics). Label objects
 * are rebuilt from the series keys only while /metrics is being answered, so the stored cost of a
 * series is its key and its value.
 */
class ExposedFamily implements RegisteredMetric {
  readonly groups = new Set<SeriesGroup>();
  readonly type: string;
  readonly help: string;

  /** `own` is the agent's own metric of the same name (e.g. process_cpu_seconds_total): both are exposed. */
  name: string;
  readonly own: RegisteredMetric | undefined;

  constructor(name: string, first: SeriesGroup, own?: RegisteredMetric) {
    this.name = name;
    this.own = own;
    this.type = own?.type ?? first.type;
    this.help = own?.help ?? (first.help || `Scraped by watchkeeper (${first.type}).`);
  }

  async get(): Promise<PromMetricObject> {
    const values: PromValue[] = this.own ? (await this.own.get()).values : [];
    // Counters are written without metricName so that prom-client's OpenMetrics writer can append
    // `_total` to the family name it strips; histogram and summary samples need theirs.
    const withName = this.type === 'histogram' || this.type === 'summary';
    for (const group of this.groups) {
      for (const [key, stored] of group.series) {
        const { name, labels } = parseSeriesKey(key);
        const value: PromValue = group.seriesLabelsWin
          ? { value: stored.value, labels: { ...group.targetLabels, ...labels } }
          : { value: stored.value, labels, sharedLabels: group.targetLabels };
        if (withName) value.metricName = name;
        values.push(value);
      }
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }

  reset(): void {
    this.own?.reset();
  }
}

/**
 * Exposes scraped series at the agent's /metrics through the process's prom-client registry:
 * one registered family per exposed name, shared by every target exposing it, registered while
 * at least one target has series in it.
 */
export class ScrapedExposition {
  private readonly families = new Map<string, ExposedFamily>();
  private readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
  }

  /** Starts exposing a group (a target's series of one family). */
  attach(group: SeriesGroup): void {
    let family = this.families.get(group.family);
    if (!family) {
      const existing = this.registry.getSingleMetric(group.family) as unknown as RegisteredMetric | undefined;
      if (existing) this.registry.removeSingleMetric(group.family);
      family = new ExposedFamily(group.family, group, existing);
      this.families.set(group.family, family);
      this.registry.registerMetric(family as unknown as Metric);
    }
    family.groups.add(group);
  }

  /** Stops exposing a group; the family leaves the registry with its last group. */
  detach(group: SeriesGroup): void {
    const family = this.families.get(group.family);
    if (!family?.groups.delete(group) || family.groups.size > 0) return;
    this.families.delete(group.family);
    this.registry.removeSingleMetric(group.family);
    if (family.own) this.registry.registerMetric(family.own as unknown as Metric);
  }

  /** Families currently exposed (tests, debugging). */
  get size(): number {
    return this.families.size;
  }
}
