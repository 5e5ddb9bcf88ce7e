import type { Labels } from '../types.ts';

const labelStart = '\u0000';
const valueStart = '\u0001';
const needsEscape = /[\\"\n]/;

/** A label value as both exposition formats write it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return needsEscape.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** HELP text: backslash and line feed escaped (and double quotes in OpenMetrics). */
export function escapeHelp(help: string, openMetrics: boolean): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return openMetrics ? escaped.replace(/"/g, '\\"') : escaped;
}

/** A sample value: NaN, +Inf and -Inf spelled as both formats require, other numbers in their shortest form. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** `name="value",...` of a label set. */
export function labelText(labels: Labels, skip?: Labels): string {
  let text = '';
  for (const name in labels) {
    if (skip && name in skip) continue;
    text += `${text ? ',' : ''}${name}="${escapeLabelValue(labels[name]!)}"`;
  }
  return text;
}

/**
 * The sample line (without value) of a stored series key (`name\0label\1value...`, see series-key.ts)
 * followed by the target's label text: `name{label="value",job="x",instance="y"}`. Reads the key in place.
 */
export function seriesLine(key: string, targetText: string): string {
  let start = key.indexOf(labelStart);
  let line = start === -1 ? key : key.slice(0, start);
  let labels = '';
  while (start !== -1) {
    const cut = key.indexOf(valueStart, start + 1);
    const next = key.indexOf(labelStart, cut + 1);
    const value = key.slice(cut + 1, next === -1 ? key.length : next);
    labels += `${labels ? ',' : ''}${key.slice(start + 1, cut)}="${escapeLabelValue(value)}"`;
    start = next;
  }
  if (targetText) labels += `${labels ? ',' : ''}${targetText}`;
  line += labels ? `{${labels}}` : '';
  return line;
}
