import { Registry } from 'prom-client';
import { createAuditMetrics } from '../audit/metrics.ts';
import { ApiBackupMetrics } from '../backup/api/metrics.ts';
import { BackupMetrics } from '../backup/metrics.ts';
import { createLogsMetrics } from '../collectors/logs/metrics.ts';
import { createDiscoveryMetrics } from '../collectors/metrics/discovery/metrics.ts';
import { createScrapeMetrics } from '../collectors/metrics/metrics.ts';
import { createStateMetrics } from '../collectors/metrics/state/metrics.ts';
import { stateSeriesNames } from '../collectors/metrics/state/series.ts';
import { createSinkMetrics } from '../collectors/metrics/sinks/metrics.ts';
import { createProberMetrics } from '../prober/metrics.ts';

/**
 * Every series name watchkeeper exports (histograms and counters expanded to their _bucket, _sum,
 * _count series), taken from the components' own metric modules so that a renamed metric breaks
 * the alert and dashboard tests instead of a dashboard: its own watchkeeper_* metrics and the
 * kube_* series of the cluster-state collector and the node agent (collectors/metrics/state/series.ts).
 */
export async function exportedSeriesNames(): Promise<Set<string>> {
  const registry = new Registry();
  createProberMetrics(registry);
  new BackupMetrics(registry);
  new ApiBackupMetrics(registry);
  createLogsMetrics(registry);
  createAuditMetrics(registry);
  createScrapeMetrics(registry);
  createSinkMetrics(registry);
  createDiscoveryMetrics(registry);
  createStateMetrics(registry);
  const names = new Set<string>(stateSeriesNames);
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

/**
 * The metric names a PromQL expression refers to that watchkeeper itself exports: watchkeeper_* and kube_*
 * (kube-state-metrics' names; no scraped component of the cluster exports a kube_* name of its own).
 */
export function referencedMetricNames(expr: string): string[] {
  return [...expr.matchAll(/(?<![\w:])(?:watchkeeper|kube)_[a-z0-9_]+/g)].map((m) => m[0]);
}
