import type { Sample } from '../types.ts';
import type { CompiledRelabelRule } from './relabel.ts';
import { relabelSample } from './sample.ts';

/**
 * metric_relabel_configs as the scrape engine's per-sample hook: the relabeled sample, or undefined when it is
 * dropped; `onDrop` hears why (a rule dropped it, or the rules removed `__name__`), for the engine's counters.
 */
export function sampleRelabeler(
  rules: readonly CompiledRelabelRule[],
  onDrop?: (reason: 'relabel' | 'no_name') => void,
): ((sample: Sample) => Sample | undefined) | undefined {
  if (rules.length === 0) return undefined;
  return (sample) => {
    const result = relabelSample(sample, rules);
    if (result.kept) return result.sample;
    onDrop?.(result.reason);
    return undefined;
  };
}
