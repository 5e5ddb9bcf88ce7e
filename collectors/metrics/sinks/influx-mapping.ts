import { Point } from '@influxdata/influxdb-client';
import type { FamilyMeta, Labels, MetricType, Sample } from '../types.ts';
import { batchSampleLabels } from '../target-labels.ts';
import { entryAt, type QueuedSlice } from './sample-queue.ts';

/** Where one sample goes in InfluxDB: measurement, tags and field name. */
export interface InfluxTarget {
  measurement: string;
  tags: Labels;
  field: string;
}

/** Suffixes a sample name may add to its family name, per family type. */
const familySuffixes: Partial<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  info: ['_info'],
};

/** The family a sample belongs to: its own name, or its name without a suffix its family type allows. */
export function familyOf(name: string, families: ReadonlyMap<string, FamilyMeta>): FamilyMeta | undefined {
  const exact = families.get(name);
  if (exact !== undefined) return exact;
  const cut = name.lastIndexOf('_');
  if (cut <= 0) return undefined;
  const family = families.get(name.slice(0, cut));
  return family !== undefined && familySuffixes[family.type]?.includes(name.slice(cut)) ? family : undefined;
}

/** A bucket bound or quantile as a field name: the number in JavaScript's shortest form, "+Inf" for infinity. */
export function boundFieldName(value: string): string {
  const number = Number(value);
  if (value.trim() === '' || Number.isNaN(number)) return value;
  if (number === Number.POSITIVE_INFINITY) return '+Inf';
  if (number === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(number);
}

/** InfluxDB refuses a tag named `time` (its timestamp column): such a label is written as the tag `time_`. */
export const renamedTimeTag = 'time_';

/** Labels without one name (le, quantile). */
function without(labels: Labels, name: string): Labels {
  if (!(name in labels)) return labels;
  const { [name]: _removed, ...rest } = labels;
  return rest;
}

/**
 * The documented mapping (docs/metrics.md, "InfluxDB mapping"), Telegraf's `metric_version = 1`
 * layout: counters, gauges and untyped samples are a measurement named like the sample with one
 * field (`counter`, `gauge`, `value`); a histogram or summary is one measurement named like its
 * family with a field per bucket bound or quantile plus `sum`, `count` (and `created`); labels are
 * tags except `le` and `quantile`.
 */
export function influxTarget(sample: Sample, family: FamilyMeta | undefined): InfluxTarget {
  const { name, labels } = sample;
  switch (family?.type) {
    case 'counter':
      if (name === `${family.name}_created`)
        return { measurement: `${family.name}_total`, tags: labels, field: 'created' };
      return { measurement: name, tags: labels, field: 'counter' };
    case 'gauge':
      return { measurement: name, tags: labels, field: 'gauge' };
    case 'histogram':
    case 'gaugehistogram': {
      const suffix = name.slice(family.name.length);
      if (suffix === '_bucket')
        return { measurement: family.name, tags: without(labels, 'le'), field: boundFieldName(labels.le ?? '') };
      const field =
        suffix === '_sum' || suffix === '_gsum'
          ? 'sum'
          : suffix === '_count' || suffix === '_gcount'
            ? 'count'
            : 'created';
      return { measurement: family.name, tags: labels, field };
    }
    case 'summary': {
      if (name === family.name)
        return {
          measurement: family.name,
          tags: without(labels, 'quantile'),
          field: boundFieldName(labels.quantile ?? ''),
        };
      const suffix = name.slice(family.name.length);
      return {
        measurement: family.name,
        tags: labels,
        field: suffix === '_sum' ? 'sum' : suffix === '_count' ? 'count' : 'created',
      };
    }
    default:
      return { measurement: name, tags: labels, field: 'value' };
  }
}

/** Line protocol of queued samples, and what had to be left out. */
export interface InfluxLines {
  lines: string[];
  /** Samples written (one line may carry several). */
  samples: number;
  /** NaN and ±Inf values: InfluxDB cannot store them. */
  nonFinite: number;
  /** Stale markers: InfluxDB has no notion of a series ending. */
  staleMarkers: number;
}

/** Timestamps are given to Point already in the write precision (ms). */
const pointSettings = {
  convertTime: (value: string | number | Date | undefined): string | undefined =>
    value === undefined ? undefined : String(value),
};

/** A grouping key of measurement, tags and time, so the fields of one histogram or summary share a line. */
function pointKey(target: InfluxTarget, timestampMs: number): string {
  let key = `${target.measurement}\n${timestampMs}`;
  for (const name of Object.keys(target.tags).sort()) key += `\n${name}=${target.tags[name]}`;
  return key;
}

/** Maps queued slices to line protocol (ms precision) with the escaping of the client's Point. */
export function toInfluxLines(slices: readonly QueuedSlice[]): InfluxLines {
  const points = new Map<string, Point>();
  let samples = 0;
  let nonFinite = 0;
  let staleMarkers = 0;
  for (const { batch, start, end } of slices) {
    for (let i = start; i < end; i++) {
      const { sample, stale } = entryAt(batch, i);
      if (stale) {
        staleMarkers++;
        continue;
      }
      if (!Number.isFinite(sample.value)) {
        nonFinite++;
        continue;
      }
      // The batch carries the target labels once; they become tags here, in this request's own short-lived objects.
      const withTarget = { name: sample.name, labels: batchSampleLabels(batch, sample.labels), value: sample.value };
      const target = influxTarget(withTarget, familyOf(sample.name, batch.families));
      const timestampMs = sample.timestampMs ?? batch.timestampMs;
      const key = pointKey(target, timestampMs);
      let point = points.get(key);
      if (point === undefined) {
        point = new Point(target.measurement).timestamp(timestampMs);
        for (const name in target.tags) point.tag(name === 'time' ? renamedTimeTag : name, target.tags[name]!);
        points.set(key, point);
      }
      point.floatField(target.field, sample.value);
      samples++;
    }
  }
  const lines: string[] = [];
  for (const point of points.values()) {
    const line = point.toLineProtocol(pointSettings);
    if (line !== undefined) lines.push(line);
  }
  return { lines, samples, nonFinite, staleMarkers };
}
