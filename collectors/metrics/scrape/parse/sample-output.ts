import type { Sample } from '../../types.ts';

/**
 * How `watchkeeper metrics parse` prints a sample. JSON: `{"name","labels","value","timestampMs"}`,
 * the value a number or one of the strings "NaN", "+Inf", "-Inf" (JSON has no such numbers), and
 * timestampMs always present: milliseconds, or null when the line carried no timestamp.
 */
export function sampleToJson(sample: Sample): string {
  const { value } = sample;
  const shown = Number.isFinite(value)
    ? String(value)
    : Number.isNaN(value)
      ? '"NaN"'
      : value > 0
        ? '"+Inf"'
        : '"-Inf"';
  const ts = sample.timestampMs === undefined ? 'null' : String(sample.timestampMs);
  const name = JSON.stringify(sample.name);
  return `{"name":${name},"labels":${JSON.stringify(sample.labels)},"value":${shown},"timestampMs":${ts}}`;
}

/**
 * Text format line of a sample, `name{label="value"} value [timestampMs]`, label values escaped as
 * the text format wants: what a person reads to check what was parsed.
 */
export function sampleToText(sample: Sample): string {
  const pairs = Object.entries(sample.labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  const series = pairs.length === 0 ? sample.name : `${sample.name}{${pairs.join(',')}}`;
  const { value } = sample;
  const shown = Number.isNaN(value)
    ? 'NaN'
    : value === Infinity
      ? '+Inf'
      : value === -Infinity
        ? '-Inf'
        : String(value);
  return sample.timestampMs === undefined ? `${series} ${shown}` : `${series} ${shown} ${sample.timestampMs}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}
