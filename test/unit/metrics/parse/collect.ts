import { ExpositionParser } from '../../../../collectors/metrics/scrape/parse/parser.ts';
import type { ExpositionFormat, FamilyMeta, Sample } from '../../../../collectors/metrics/types.ts';

/** A parsed sample as the fixture files write it: JSON-safe value and the family it was given. */
export interface CollectedSample {
  name: string;
  labels: Record<string, string>;
  /** Numbers JSON cannot hold are strings; -0 too, so the fixture can tell it from 0. */
  value: number | 'NaN' | '+Inf' | '-Inf' | '-0';
  timestampMs: number | null;
  family: FamilyMeta;
}

/** Parses `chunks` in order and returns every sample, or the error thrown. */
export function collect(
  format: ExpositionFormat,
  chunks: Uint8Array[],
): { samples: CollectedSample[]; error?: unknown } {
  const samples: CollectedSample[] = [];
  const parser = new ExpositionParser(format, {
    sample: (s: Sample, family: FamilyMeta) => samples.push(toCollected(s, family)),
  });
  try {
    for (const chunk of chunks) parser.write(chunk);
    parser.end();
  } catch (error) {
    return { samples, error };
  }
  return { samples };
}

function toCollected(sample: Sample, family: FamilyMeta): CollectedSample {
  const v = sample.value;
  const value = Number.isNaN(v)
    ? 'NaN'
    : v === Infinity
      ? '+Inf'
      : v === -Infinity
        ? '-Inf'
        : Object.is(v, -0)
          ? '-0'
          : v;
  return {
    name: sample.name,
    labels: { ...sample.labels },
    value,
    timestampMs: sample.timestampMs ?? null,
    family: { ...family },
  };
}
