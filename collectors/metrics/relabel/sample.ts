import type { Sample } from '../types.ts';
import { applyRelabel, type CompiledRelabelRule } from './relabel.ts';

/** A sample after metric relabeling, or why it is not kept. */
export type SampleRelabelResult =
  | { kept: true; sample: Sample }
  /**
   * `relabel`: a rule dropped it or left no labels; `no_name`: the rules removed `__name__` (Prometheus fails
   * such a scrape).
   */
  | { kept: false; reason: 'relabel' | 'no_name' };

/**
 * Applies `metric_relabel_configs` to one sample whose labels already include the target labels; `__name__` is
 * the sample's name while the rules run. Value and timestamp are kept. Without rules the sample is returned as is.
 */
export function relabelSample(sample: Sample, rules: readonly CompiledRelabelRule[]): SampleRelabelResult {
  if (rules.length === 0) return { kept: true, sample };
  const out = applyRelabel({ ...sample.labels, __name__: sample.name }, rules);
  if (!out || Object.keys(out).length === 0) return { kept: false, reason: 'relabel' };
  const { __name__: name, ...labels } = out;
  if (!name) return { kept: false, reason: 'no_name' };
  const result: Sample = { name, labels, value: sample.value };
  if (sample.timestampMs !== undefined) result.timestampMs = sample.timestampMs;
  return { kept: true, sample: result };
}
