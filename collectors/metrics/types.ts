/**
 * The data model shared by the metrics collectors: what the exposition parser produces, what the
 * scrape engine hands to every sink. Owned by the scrape engine; the parser and sinks code against it.
 */

/** Label name to value, without `__name__`. Values are already unescaped. */
export type Labels = Record<string, string>;

/** The metric types of the Prometheus text format 0.0.4 and OpenMetrics 1.0. */
export type MetricType =
  'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'unknown' | 'info' | 'stateset' | 'gaugehistogram';

/** What the `# TYPE`, `# HELP` and `# UNIT` lines say about one metric family. */
export interface FamilyMeta {
  /** Family name as declared, e.g. `http_requests` (OpenMetrics) or `http_requests_total` (text). */
  name: string;
  type: MetricType;
  help?: string;
  unit?: string;
}

/** One sample of one series as exposed by a target. */
export interface Sample {
  /** Series name as written on the sample line, e.g. `http_request_duration_seconds_bucket`. */
  name: string;
  labels: Labels;
  /** NaN and ±Infinity are legal values. */
  value: number;
  /** Timestamp in milliseconds when the exposition carried one. */
  timestampMs?: number;
}

/** Receives the parser's output as it streams; called synchronously, in exposition order. */
export interface ExpositionHandler {
  /** A sample; `family` is the family it belongs to (an `untyped` placeholder when undeclared). */
  sample(sample: Sample, family: FamilyMeta): void;
}

/** The exposition formats the parser understands. */
export type ExpositionFormat = 'text' | 'openmetrics';

/** A parse failure: the 1-based line where the input stopped making sense and why. */
export class ExpositionParseError extends Error {
  /** Stable error code for logs and metrics. */
  readonly code = 'EXPOSITION_PARSE';
  /** 1-based line number of the malformed line. */
  readonly line: number;
  /** What was wrong with it. */
  readonly reason: string;
  constructor(line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'ExpositionParseError';
    this.line = line;
    this.reason = reason;
  }
}

/** Identity of a scrape target as the sinks see it. */
export interface TargetRef {
  /** Job name, e.g. `kube-apiserver`. */
  job: string;
  /** `host:port` of the target. */
  instance: string;
  /** The target labels attached to every sample (job and instance included). */
  labels: Labels;
}

/**
 * The samples of one scrape, column by column: entry i is the series `keys[i]` (the series store's own key
 * string, scrape/series-key.ts: name and series labels, without the target labels) with `values[i]` at
 * `timestampsMs[i]` (NaN when the exposition carried no timestamp: the batch's `timestampMs` applies).
 * Columns instead of a Sample object and a label object per sample: the batch lives until every sink has
 * encoded it, long enough for 100,000 such objects per scrape to be promoted out of the young generation,
 * which made garbage collection a third of the collector's CPU (docs/benchmarks.md). The keys are
 * strings the series store holds anyway, so a batch adds 16 bytes per sample (two doubles).
 */
export interface SampleColumns {
  keys: readonly string[];
  values: readonly number[];
  timestampsMs: readonly number[];
}

/**
 * Everything one scrape produced, handed to every sink at once. The target labels are carried once, in
 * `target.labels`, not merged into each sample: a sink merges them as it encodes (target-labels.ts).
 */
export interface ScrapeBatch {
  target: TargetRef;
  /**
   * Which side wins when a sample label has the name of a target label: false (Prometheus' default),
   * the target label; true, the sample's (`honorLabels`). Samples of a target with honorLabels false
   * never carry such a label unless metric relabeling set one (scraped ones are renamed `exported_<name>`).
   */
  honorLabels: boolean;
  /** When the scrape started, ms since the epoch; the timestamp of samples that carry none. */
  timestampMs: number;
  /** Samples with their series labels only; the sink adds `target.labels` (see `honorLabels`). */
  samples: SampleColumns;
  /** Families by name, for sinks that map types (InfluxDB). */
  families: ReadonlyMap<string, FamilyMeta>;
  /** Keys (as in `samples.keys`) of series present in the previous scrape and gone now: remote_write marks them stale. */
  stale: readonly string[];
}

/**
 * An output of the collectors. `push` never blocks and never throws: each sink has its own bounded
 * queue, drops the oldest with a counter when full, and retries in the background, so a slow sink
 * never delays a scrape.
 */
export interface MetricsSink {
  /** Short name for logs and metric labels: `influxdb`, `remote_write`... */
  readonly name: string;
  push(batch: ScrapeBatch): void;
  /** Flushes what it can within the signal's time, then stops. */
  close(signal?: AbortSignal): Promise<void>;
}

/**
 * A target as discovery or static config describes it, before relabeling: Prometheus-style labels,
 * `__address__` (host:port) always, optionally `__scheme__`, `__metrics_path__`, `__param_<name>`,
 * `job`, and `__meta_*` labels from discovery. Relabeling turns it into a scrape target or drops it.
 */
export type TargetLabels = Labels;

/** Something that knows a job's targets and tells when they change (static lists, Kubernetes discovery). */
export interface TargetSource {
  /** Job name the targets belong to. */
  readonly job: string;
  /** Starts watching; `onChange` gets the full, current set each time it changes. */
  start(onChange: (targets: readonly TargetLabels[]) => void): Promise<void>;
  stop(): Promise<void>;
}
