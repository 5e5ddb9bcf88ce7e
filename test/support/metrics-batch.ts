import { seriesKey } from '../../collectors/metrics/scrape/series-key.ts';
import type { FamilyMeta, Labels, MetricType, Sample, ScrapeBatch } from '../../collectors/metrics/types.ts';

/** A family and its samples, for building scrape batches in tests. */
export interface TestFamily {
  name: string;
  type: MetricType;
  samples: { name?: string; labels?: Labels; value: number; timestampMs?: number }[];
}

/**
 * Builds a ScrapeBatch as the scrape engine hands it to sinks: target labels (job, instance) once in
 * `target.labels`, samples as columns of series keys (series labels only), values and timestamps (NaN for
 * none), families by name, stale series listed apart by key.
 */
export function scrapeBatch(options: {
  job?: string;
  instance?: string;
  timestampMs: number;
  families: TestFamily[];
  stale?: Sample[];
  honorLabels?: boolean;
}): ScrapeBatch {
  const job = options.job ?? 'test';
  const instance = options.instance ?? '127.0.0.1:9100';
  const targetLabels = { job, instance };
  const families = new Map<string, FamilyMeta>();
  const samples = { keys: [] as string[], values: [] as number[], timestampsMs: [] as number[] };
  for (const family of options.families) {
    families.set(family.name, { name: family.name, type: family.type });
    for (const s of family.samples) {
      samples.keys.push(seriesKey(s.name ?? family.name, s.labels ?? {}));
      samples.values.push(s.value);
      samples.timestampsMs.push(s.timestampMs ?? Number.NaN);
    }
  }
  return {
    target: { job, instance, labels: targetLabels },
    honorLabels: options.honorLabels ?? false,
    timestampMs: options.timestampMs,
    samples,
    families,
    stale: (options.stale ?? []).map((s) => seriesKey(s.name, s.labels)),
  };
}

/** A histogram family with cumulative buckets, sum and count, as text format 0.0.4 exposes it. */
export function histogramFamily(
  name: string,
  labels: Labels,
  buckets: [string, number][],
  sum: number,
  count: number,
): TestFamily {
  return {
    name,
    type: 'histogram',
    samples: [
      ...buckets.map(([le, value]) => ({ name: `${name}_bucket`, labels: { ...labels, le }, value })),
      { name: `${name}_sum`, labels, value: sum },
      { name: `${name}_count`, labels, value: count },
    ],
  };
}

/** A summary family with quantiles, sum and count. */
export function summaryFamily(
  name: string,
  labels: Labels,
  quantiles: [string, number][],
  sum: number,
  count: number,
): TestFamily {
  return {
    name,
    type: 'summary',
    samples: [
      ...quantiles.map(([quantile, value]) => ({ name, labels: { ...labels, quantile }, value })),
      { name: `${name}_sum`, labels, value: sum },
      { name: `${name}_count`, labels, value: count },
    ],
  };
}
