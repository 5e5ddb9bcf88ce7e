import type { Labels, ScrapeBatch } from './types.ts';

/**
 * The labels a series has outside the collector: its scraped labels plus the target labels. With
 * `honorLabels` false (Prometheus' default) the target labels win a conflict, with true the scraped ones.
 */
export function mergeTargetLabels(labels: Labels, targetLabels: Labels, honorLabels: boolean): Labels {
  return honorLabels ? { ...targetLabels, ...labels } : { ...labels, ...targetLabels };
}

/** The full labels of one of a batch's samples or stale series, as a sink writes them. */
export function batchSampleLabels(batch: ScrapeBatch, labels: Labels): Labels {
  return mergeTargetLabels(labels, batch.target.labels, batch.honorLabels);
}
