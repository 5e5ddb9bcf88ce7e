import type { Metric, Registry } from 'prom-client';
import type { StreamedMetric } from '../../../core/http/exposition.ts';
import { parseSeriesKey } from '../scrape/series-key.ts';
import { escapeHelp, formatValue, labelText, seriesLine } from './exposition-text.ts';
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

/** Lines are handed to the writer in chunks of about this many characters. */
const chunkChars = 64 * 1024;

/**
 * One family of the agent's /metrics built from the stored values of every target exposing it.
 * It writes its own lines from the stored series keys, in chunks ({@link StreamedMetric}): no object
 * per series and no whole body in memory while /metrics is answered. `get()` gives prom-client the
 * same series as objects, for anything else that reads the registry.
 */
class ExposedFamily implements RegisteredMetric, StreamedMetric {
  readonly groups = new Set<SeriesGroup>();
  readonly type: string;
  readonly help: string;

  /** `own` is the agent's own metric of the same name (e.g. process_cpu_seconds_total): both are exposed. */
  name: string;
  readonly own: RegisteredMetric | undefined;

  private readonly taken: (name: string) => boolean;

  /** `taken` tells whether the registry holds a family of that name (OpenMetrics counter names). */
  constructor(name: string, first: SeriesGroup, taken: (name: string) => boolean, own?: RegisteredMetric) {
    this.name = name;
    this.own = own;
    this.taken = taken;
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

  async writeExposition(openMetrics: boolean, write: (text: string) => Promise<void>): Promise<void> {
    let type = openMetrics && this.type === 'untyped' ? 'unknown' : this.type;
    let name = openMetrics && type === 'counter' ? this.name.replace(/_total$/, '') : this.name;
    // OpenMetrics names a counter family without `_total`: when a family of that name exists too (a gauge
    // `x` beside a counter `x_total`, as Go's runtime metrics have), the counter is written as unknown.
    if (name !== this.name && this.taken(name)) {
      type = 'unknown';
      name = this.name;
    }
    let chunk = `# HELP ${name} ${escapeHelp(this.help, openMetrics)}\n# TYPE ${name} ${type}\n`;
    for (const value of this.own ? (await this.own.get()).values : []) {
      chunk += `${value.metricName ?? this.name}${ownLabels(value)} ${formatValue(value.value)}\n`;
    }
    for (const group of this.groups) {
      const targetText = group.seriesLabelsWin ? '' : labelText(group.targetLabels);
      for (const [key, stored] of group.series) {
        const line = group.seriesLabelsWin ? honoredLine(key, group.targetLabels) : seriesLine(key, targetText);
        chunk += `${line} ${formatValue(stored.value)}\n`;
        if (chunk.length >= chunkChars) {
          await write(chunk);
          chunk = '';
        }
      }
    }
    await write(chunk);
  }

  reset(): void {
    this.own?.reset();
  }
}

/** `{...}` of one of prom-client's own values. */
function ownLabels(value: PromValue): string {
  const text = labelText({ ...value.labels, ...value.sharedLabels });
  return text ? `{${text}}` : '';
}

/** The line of a series whose labels win over the target's (honorLabels). */
function honoredLine(key: string, targetLabels: Labels): string {
  const { name, labels } = parseSeriesKey(key);
  const text = labelText({ ...targetLabels, ...labels });
  return text ? `${name}{${text}}` : name;
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
      const taken = (name: string): boolean => this.registry.getSingleMetric(name) !== undefined;
      family = new ExposedFamily(group.family, group, taken, existing);
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
