import type { ExpositionFormat, FamilyMeta, MetricType } from '../../types.ts';
import { LineError } from './line-error.ts';

/** What a sample is within its family; decides which label it must carry. */
export type SampleRole = 'value' | 'bucket' | 'quantile' | 'state';

/** A sample name resolved to its family. */
export interface Resolution {
  family: FamilyMeta;
  role: SampleRole;
}

/** Sample-name suffixes each type allows, with the role of such a sample ('' is the family name itself). */
type SuffixTable = Partial<Record<MetricType, ReadonlyArray<readonly [string, SampleRole]>>>;

const textSuffixes: SuffixTable = {
  counter: [['', 'value']],
  gauge: [['', 'value']],
  untyped: [['', 'value']],
  histogram: [
    ['_bucket', 'bucket'],
    ['_count', 'value'],
    ['_sum', 'value'],
  ],
  summary: [
    ['', 'quantile'],
    ['_count', 'value'],
    ['_sum', 'value'],
  ],
};

const openMetricsSuffixes: SuffixTable = {
  counter: [
    ['_total', 'value'],
    ['_created', 'value'],
  ],
  gauge: [['', 'value']],
  unknown: [['', 'value']],
  histogram: [
    ['_bucket', 'bucket'],
    ['_count', 'value'],
    ['_sum', 'value'],
    ['_created', 'value'],
  ],
  gaugehistogram: [
    ['_bucket', 'bucket'],
    ['_gcount', 'value'],
    ['_gsum', 'value'],
  ],
  summary: [
    ['', 'quantile'],
    ['_count', 'value'],
    ['_sum', 'value'],
    ['_created', 'value'],
  ],
  info: [['_info', 'value']],
  stateset: [['', 'state']],
};

const allSuffixes = ['_bucket', '_count', '_sum', '_created', '_total', '_gcount', '_gsum', '_info'];

interface FamilyRecord {
  meta: FamilyMeta;
  /** A sample of this family has been seen. */
  sampled: boolean;
  /** OpenMetrics: another family followed this one, so it may not continue. */
  closed: boolean;
  typed: boolean;
  helped: boolean;
  united: boolean;
}

/**
 * The families of one exposition: what `# TYPE`, `# HELP` and `# UNIT` declared, and which family each
 * sample name belongs to (`foo_bucket` to histogram `foo`; an undeclared name to an untyped, or in
 * OpenMetrics unknown, family of its own). Enforces the metadata rules: one TYPE/HELP/UNIT per family,
 * TYPE before the family's samples, and in OpenMetrics metadata before samples and families not
 * interleaved.
 */
export class FamilyTracker {
  private readonly suffixes: SuffixTable;
  private readonly placeholderType: MetricType;
  private readonly families = new Map<string, FamilyRecord>();
  private readonly bySampleName = new Map<string, Resolution & { record: FamilyRecord }>();
  private current: FamilyRecord | undefined;

  private readonly format: ExpositionFormat;

  private readonly maxFamilies: number;

  constructor(format: ExpositionFormat, maxFamilies: number) {
    this.format = format;
    this.maxFamilies = maxFamilies;
    this.suffixes = format === 'text' ? textSuffixes : openMetricsSuffixes;
    this.placeholderType = format === 'text' ? 'untyped' : 'unknown';
  }

  /** Records `# TYPE name type`. */
  declareType(name: string, type: string): void {
    const allowed = this.suffixes[type as MetricType];
    if (allowed === undefined) {
      throw new LineError(`unknown metric type "${type}" (allowed: ${Object.keys(this.suffixes).join(', ')})`);
    }
    const record = this.metadataRecord(name, 'TYPE');
    if (record.typed) throw new LineError(`second # TYPE line for "${name}"`);
    for (const [suffix] of allowed) {
      if (this.bySampleName.has(name + suffix)) throw new LineError(`# TYPE for "${name}" comes after its samples`);
    }
    record.typed = true;
    record.meta.type = type as MetricType;
  }

  /** Records `# HELP name text` (text already unescaped). */
  declareHelp(name: string, help: string): void {
    const record = this.metadataRecord(name, 'HELP');
    if (record.helped) throw new LineError(`second # HELP line for "${name}"`);
    record.helped = true;
    record.meta.help = help;
  }

  /** Records OpenMetrics `# UNIT name unit`: a non-empty unit must end the family name (`_seconds`). */
  declareUnit(name: string, unit: string): void {
    const record = this.metadataRecord(name, 'UNIT');
    if (record.united) throw new LineError(`second # UNIT line for "${name}"`);
    if (unit !== '' && !name.endsWith(`_${unit}`)) {
      throw new LineError(`unit "${unit}" is not the suffix of the family name "${name}"`);
    }
    record.united = true;
    record.meta.unit = unit;
  }

  /** The family and role of a sample name; throws LineError when the sample breaks the family rules. */
  resolve(sampleName: string): Resolution {
    let resolution = this.bySampleName.get(sampleName);
    if (resolution === undefined) {
      resolution = this.lookup(sampleName);
      this.bySampleName.set(sampleName, resolution);
    }
    const record = resolution.record;
    if (this.format === 'openmetrics' && record !== this.current) {
      if (record.closed) {
        throw new LineError(`samples of family "${record.meta.name}" are not together: another family came in between`);
      }
      this.enter(record);
    }
    record.sampled = true;
    return resolution;
  }

  private lookup(sampleName: string): Resolution & { record: FamilyRecord } {
    const exact = this.families.get(sampleName);
    if (exact !== undefined) {
      const role = this.roleOf(exact.meta.type, '');
      if (role === undefined) {
        const expected = (this.suffixes[exact.meta.type] ?? []).map(([suffix]) => sampleName + suffix).join(', ');
        throw new LineError(
          `${exact.meta.type} "${sampleName}" has no sample named "${sampleName}" (expected ${expected})`,
        );
      }
      return { family: exact.meta, role, record: exact };
    }
    for (const suffix of allSuffixes) {
      if (!sampleName.endsWith(suffix)) continue;
      const base = this.families.get(sampleName.slice(0, -suffix.length));
      if (base === undefined) continue;
      const role = this.roleOf(base.meta.type, suffix);
      if (role !== undefined) return { family: base.meta, role, record: base };
    }
    const record = this.newRecord(sampleName);
    return { family: record.meta, role: 'value', record };
  }

  private roleOf(type: MetricType, suffix: string): SampleRole | undefined {
    const allowed = this.suffixes[type];
    if (allowed === undefined) return undefined;
    for (const [s, role] of allowed) if (s === suffix) return role;
    return undefined;
  }

  private metadataRecord(name: string, kind: string): FamilyRecord {
    const record = this.families.get(name);
    if (record === undefined) {
      const created = this.newRecord(name);
      if (this.format === 'openmetrics') this.enter(created);
      return created;
    }
    if (this.format === 'openmetrics') {
      if (record !== this.current) {
        throw new LineError(`# ${kind} for "${name}" after that family ended: families must not be interleaved`);
      }
      if (record.sampled) throw new LineError(`# ${kind} for "${name}" comes after its samples`);
    } else if (record.sampled && kind === 'TYPE') {
      throw new LineError(`# TYPE for "${name}" comes after its samples`);
    }
    return record;
  }

  private newRecord(name: string): FamilyRecord {
    if (this.families.size >= this.maxFamilies) throw new LineError(`more than ${this.maxFamilies} metric families`);
    const record: FamilyRecord = {
      meta: { name, type: this.placeholderType },
      sampled: false,
      closed: false,
      typed: false,
      helped: false,
      united: false,
    };
    this.families.set(name, record);
    return record;
  }

  private enter(record: FamilyRecord): void {
    if (this.current !== undefined) this.current.closed = true;
    this.current = record;
  }
}
