import type { FamilyMeta } from '../types.ts';

/** The types the agent's /metrics can carry in both the text format and OpenMetrics. */
export type ExposedType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** Under which family a scraped sample is exposed again at the agent's /metrics. */
export interface ExposedName {
  /** Family name in the registry: `x_total` for counters (as prom-client names them), `x` for histograms. */
  family: string;
  type: ExposedType;
}

const histogramSuffixes = ['_bucket', '_sum', '_count'];
const summarySuffixes = ['', '_sum', '_count'];

/**
 * Maps a scraped sample to a family the agent can expose in both formats. Counters keep their
 * `_total` sample name; `_created` samples become gauges of their own (as text-format targets expose
 * them); samples that do not fit their declared type, and types the text format lacks (info,
 * stateset, gaugehistogram, unknown), become untyped families named like the sample.
 */
export function exposedName(sampleName: string, family: FamilyMeta): ExposedName {
  switch (family.type) {
    case 'counter':
      if (sampleName.endsWith('_total')) return { family: sampleName, type: 'counter' };
      break;
    case 'gauge':
      return { family: sampleName, type: 'gauge' };
    case 'histogram':
      if (histogramSuffixes.some((s) => sampleName === family.name + s)) {
        return { family: family.name, type: 'histogram' };
      }
      break;
    case 'summary':
      if (summarySuffixes.some((s) => sampleName === family.name + s)) return { family: family.name, type: 'summary' };
      break;
    default:
      break;
  }
  if (sampleName.endsWith('_created')) return { family: sampleName, type: 'gauge' };
  return { family: sampleName, type: 'untyped' };
}
