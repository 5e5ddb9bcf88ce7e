import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metric names of the scrape engine; alerts and dashboards import them from here. */
export const scrapeMetricNames = {
  targets: 'watchkeeper_metrics_targets',
  scrapes: 'watchkeeper_metrics_scrapes_total',
  scrapeErrors: 'watchkeeper_metrics_scrape_errors_total',
  samplesScraped: 'watchkeeper_metrics_samples_scraped_total',
  seriesActive: 'watchkeeper_metrics_series_active',
  seriesDropped: 'watchkeeper_metrics_series_dropped_total',
  scrapeDuration: 'watchkeeper_metrics_scrape_duration_seconds',
} as const;

/** Why a scrape failed; the `reason` label of {@link ScrapeMetrics.scrapeErrors}. */
export type ScrapeErrorReason =
  | 'timeout'
  | 'connection'
  | 'tls'
  | 'http_status'
  | 'body_too_large'
  | 'parse'
  | 'sample_limit'
  | 'auth_file'
  | 'other';

/** Why new series were not kept; the `reason` label of {@link ScrapeMetrics.seriesDropped}. */
export type SeriesDropReason = 'target_limit' | 'total_limit';

/**
 * Every self-metric of the scrape engine. The job label is `scrape_job` (as Prometheus names it):
 * a `job` label would collide with the one Prometheus gives the agent's own series.
 */
export interface ScrapeMetrics {
  /** Targets by scrape job and state (`up` or `down`). */
  targets: Gauge<'scrape_job' | 'state'>;
  scrapes: Counter<'scrape_job'>;
  scrapeErrors: Counter<'scrape_job' | 'reason'>;
  samplesScraped: Counter<'scrape_job'>;
  seriesActive: Gauge<'scrape_job'>;
  seriesDropped: Counter<'scrape_job' | 'reason'>;
  scrapeDuration: Histogram<'scrape_job'>;
}

/** Creates the scrape engine's metrics in the given registry. */
export function createScrapeMetrics(registry: Registry): ScrapeMetrics {
  const registers = [registry];
  const n = scrapeMetricNames;
  const job = ['scrape_job'] as const;
  return {
    targets: new Gauge({
      name: n.targets,
      help: 'Scrape targets by scrape job and state (up: last scrape succeeded).',
      labelNames: ['scrape_job', 'state'],
      registers,
    }),
    scrapes: new Counter({ name: n.scrapes, help: 'Scrapes attempted, by scrape job.', labelNames: job, registers }),
    scrapeErrors: new Counter({
      name: n.scrapeErrors,
      help:
        'Scrapes that failed, by scrape job and reason (timeout, connection, tls, http_status, body_too_large, ' +
        'parse, sample_limit...).',
      labelNames: ['scrape_job', 'reason'],
      registers,
    }),
    samplesScraped: new Counter({
      name: n.samplesScraped,
      help: 'Samples read from successful scrapes, by scrape job.',
      labelNames: job,
      registers,
    }),
    seriesActive: new Gauge({
      name: n.seriesActive,
      help: 'Series held for exposition and staleness, by scrape job.',
      labelNames: job,
      registers,
    }),
    seriesDropped: new Counter({
      name: n.seriesDropped,
      help:
        'New series not kept because a cardinality limit was reached, by scrape job and reason (target_limit, ' +
        'total_limit).',
      labelNames: ['scrape_job', 'reason'],
      registers,
    }),
    scrapeDuration: new Histogram({
      name: n.scrapeDuration,
      help: 'Duration of one scrape (request, body and parse), by scrape job.',
      labelNames: job,
      registers,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
  };
}
