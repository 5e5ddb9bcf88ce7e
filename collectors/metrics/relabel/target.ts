import type { Labels, TargetLabels } from '../types.ts';
import { formatPrometheusDuration, parsePrometheusDuration } from './duration.ts';
import { applyRelabel, type CompiledRelabelRule } from './relabel.ts';

/** What a job contributes to its targets' labels before relabeling (Prometheus' scrape config defaults). */
export interface TargetDefaults {
  job: string;
  scheme: 'http' | 'https';
  metricsPath: string;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  /** URL query parameters, become `__param_<name>` labels. */
  params?: Record<string, string>;
}

/** A target that survived relabeling: where and how to scrape it, and the labels its samples get. */
export interface RelabeledTarget {
  kept: true;
  /** Labels before relabeling, with the job defaults filled in (Prometheus' discoveredLabels). */
  discoveredLabels: Labels;
  /** Labels after relabeling without those starting with `__` (Prometheus' labels): attached to every sample. */
  labels: Labels;
  /** host:port to scrape. */
  address: string;
  scheme: string;
  metricsPath: string;
  /** From `__param_<name>` labels. */
  params: Record<string, string>;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
}

/** Why a target is not scraped: dropped by a rule, or left unusable by relabeling. */
export interface DroppedTarget {
  kept: false;
  discoveredLabels: Labels;
  /**
   * `relabel` when a keep/drop rule dropped it; otherwise relabeling left it unusable (an empty label set has no
   * address) and `error` says why: Prometheus lists such targets neither as active nor as dropped.
   */
  reason: 'relabel' | 'no_address' | 'invalid_address' | 'invalid_interval' | 'invalid_timeout';
  error?: string;
}

/** The outcome of relabeling one target. */
export type TargetRelabelResult = RelabeledTarget | DroppedTarget;

/**
 * Relabels one discovered target as Prometheus does (scrape/target.go PopulateLabels): job defaults fill labels
 * not set by discovery, the rules run, `__address__` must remain and contain no `/`, interval and timeout are
 * read back from `__scrape_interval__` / `__scrape_timeout__`, `__meta_*` labels go, `instance` defaults to
 * the address. Unlike Prometheus 2.x, no default port is appended (as in Prometheus 3).
 */
export function relabelTarget(
  discovered: TargetLabels,
  rules: readonly CompiledRelabelRule[],
  defaults: TargetDefaults,
): TargetRelabelResult {
  const initial: Labels = { ...discovered };
  const fill = (name: string, value: string): void => {
    if (!initial[name]) initial[name] = value;
  };
  fill('job', defaults.job);
  fill('__scrape_interval__', formatPrometheusDuration(defaults.scrapeIntervalMs));
  fill('__scrape_timeout__', formatPrometheusDuration(defaults.scrapeTimeoutMs));
  fill('__metrics_path__', defaults.metricsPath);
  fill('__scheme__', defaults.scheme);
  for (const [name, value] of Object.entries(defaults.params ?? {})) fill(`__param_${name}`, value);

  const relabeled = applyRelabel(initial, rules);
  if (!relabeled) return { kept: false, discoveredLabels: initial, reason: 'relabel' };
  const drop = (reason: DroppedTarget['reason'], error: string): DroppedTarget => ({
    kept: false,
    discoveredLabels: initial,
    reason,
    error,
  });

  const address = relabeled.__address__ ?? '';
  if (!address) return drop('no_address', 'no address');
  if (address.includes('/')) return drop('invalid_address', `${JSON.stringify(address)} is not a valid hostname`);
  const intervalMs = parsePrometheusDuration(relabeled.__scrape_interval__ ?? '');
  if (intervalMs === undefined || intervalMs === 0) {
    return drop(
      'invalid_interval',
      `error parsing scrape interval ${JSON.stringify(relabeled.__scrape_interval__ ?? '')}`,
    );
  }
  const timeoutMs = parsePrometheusDuration(relabeled.__scrape_timeout__ ?? '');
  if (timeoutMs === undefined || timeoutMs === 0) {
    return drop(
      'invalid_timeout',
      `error parsing scrape timeout ${JSON.stringify(relabeled.__scrape_timeout__ ?? '')}`,
    );
  }
  if (timeoutMs > intervalMs) {
    return drop(
      'invalid_timeout',
      `scrape timeout ${relabeled.__scrape_timeout__} greater than scrape interval ${relabeled.__scrape_interval__}`,
    );
  }

  const labels: Labels = {};
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(relabeled)) {
    if (name.startsWith('__param_')) params[name.slice('__param_'.length)] = value;
    else if (!name.startsWith('__')) labels[name] = value;
  }
  labels.instance ||= address;
  return {
    kept: true,
    discoveredLabels: initial,
    labels,
    address,
    scheme: relabeled.__scheme__ ?? defaults.scheme,
    metricsPath: relabeled.__metrics_path__ ?? defaults.metricsPath,
    params,
    scrapeIntervalMs: intervalMs,
    scrapeTimeoutMs: timeoutMs,
  };
}
