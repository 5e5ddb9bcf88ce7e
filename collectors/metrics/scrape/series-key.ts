import type { Labels } from '../types.ts';

const labelStart = '\u0000';
const valueStart = '\u0001';
const separators = /[\u0000\u0001]/g;

/**
 * The identity of a series as one flat string: the sample name, then `\0name\1value` per label in
 * exposition order. Held instead of the parser's label objects: a flat string is the smallest way to
 * keep a series (one allocation, no references into the parser's input chunks). The two separator
 * characters cannot occur in names; inside a label value they are replaced by U+FFFD.
 */
export function seriesKey(name: string, labels: Labels): string {
  let key = name;
  for (const label in labels) {
    let value = labels[label]!;
    if (value.includes(labelStart) || value.includes(valueStart)) value = value.replace(separators, '\uFFFD');
    key += labelStart + label + valueStart + value;
  }
  return key;
}

/** The sample name and labels a {@link seriesKey} was made of. */
export function parseSeriesKey(key: string): { name: string; labels: Labels } {
  const parts = key.split(labelStart);
  const labels: Labels = {};
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const cut = part.indexOf(valueStart);
    labels[part.slice(0, cut)] = part.slice(cut + 1);
  }
  return { name: parts[0]!, labels };
}
