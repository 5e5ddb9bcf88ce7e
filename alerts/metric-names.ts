import { Registry } from 'prom-client';
import { createAuditMetrics } from '../audit/metrics.ts';
import { ApiBackupMetrics } from '../backup/api/metrics.ts';
import { BackupMetrics } from '../backup/metrics.ts';
import { createLogsMetrics } from '../collectors/logs/metrics.ts';
import { createDiscoveryMetrics } from '../collectors/metrics/discovery/metrics.ts';
import { createScrapeMetrics } from '../collectors/metrics/metrics.ts';
import { createSinkMetrics } from '../collectors/metrics/sinks/metrics.ts';
import { createProberMetrics } from '../prober/metrics.ts';

/**
 * Every series name watchkeeper exports (histograms and counters expanded to their _bucket, _sum,
 * _count series), taken from the components' own metric modules so that a renamed metric breaks
 * the alert and dashboard tests instead of a dashboard.
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
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

/** The watchkeeper_* metric names a PromQL expression refers to. */
export function referencedMetricNames(expr: string): string[] {
  return [...expr.matchAll(/\bwatchkeeper_[a-z0-9_]+/g)].map((m) => m[0]);
}
