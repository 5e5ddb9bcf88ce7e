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
  // indexOf and slice instead of split: no intermediate array, as /metrics parses every stored key.
  let start = key.indexOf(labelStart);
  const name = start === -1 ? key : key.slice(0, start);
  const labels: Labels = {};
  while (start !== -1) {
    const cut = key.indexOf(valueStart, start + 1);
    const next = key.indexOf(labelStart, cut + 1);
    labels[key.slice(start + 1, cut)] = key.slice(cut + 1, next === -1 ? key.length : next);
    start = next;
  }
  return { name, labels };
}
