import { discoveryMetricNames as discovery } from '../collectors/metrics/discovery/metrics.ts';
import { scrapeMetricNames as scrape } from '../collectors/metrics/metrics.ts';
import { sinkMetricNames as sink } from '../collectors/metrics/sinks/metrics.ts';
import { dashboard, type GrafanaDashboard, type PanelSpec } from './grafana.ts';

/** A time series panel with one query. */
function series(
  title: string,
  unit: string,
  expr: string,
  legend: string,
  thresholds?: PanelSpec['thresholds'],
): PanelSpec {
  return { title, type: 'timeseries', unit, targets: [{ expr, legend }], ...(thresholds ? { thresholds } : {}) };
}

/** A quarter-width stat panel. */
function stat(title: string, expr: string, thresholds?: PanelSpec['thresholds']): PanelSpec {
  return { title, type: 'stat', unit: 'short', width: 6, targets: [{ expr }], ...(thresholds ? { thresholds } : {}) };
}

/** The metrics collectors' own health: targets, scrape errors, samples, series, outputs. */
export function metricsDashboard(): GrafanaDashboard {
  const byJob = '{{scrape_job}}';
  return dashboard({
    uid: 'watchkeeper-metrics',
    title: 'watchkeeper / Metrics collectors',
    description:
      'Scrape targets up and down, scrape errors by reason, samples and series, the cardinality guard, ' +
      'the InfluxDB and remote_write outputs, discovery, relabeling and shard ownership.',
    panels: [
      stat('Targets down', `sum(${scrape.targets}{state="down"}) or vector(0)`, [{ value: 1, color: 'red' }]),
      stat('Targets up', `sum(${scrape.targets}{state="up"}) or vector(0)`),
      stat('Active series', `sum(${scrape.seriesActive})`),
      stat('Samples scraped per second', `sum(rate(${scrape.samplesScraped}[5m]))`),
      series(
        'Targets by job and state',
        'short',
        `sum by (scrape_job, state) (${scrape.targets})`,
        `${byJob} {{state}}`,
      ),
      series(
        'Scrape errors per second',
        'short',
        `sum by (scrape_job, reason) (rate(${scrape.scrapeErrors}[5m]))`,
        `${byJob} {{reason}}`,
      ),
      series(
        'Samples scraped per second by job',
        'short',
        `sum by (scrape_job) (rate(${scrape.samplesScraped}[5m]))`,
        byJob,
      ),
      series(
        'Scrape duration p99',
        's',
        `histogram_quantile(0.99, sum by (scrape_job, le) (rate(${scrape.scrapeDuration}_bucket[5m])))`,
        byJob,
      ),
      series('Active series by job', 'short', `sum by (scrape_job) (${scrape.seriesActive})`, byJob),
      series(
        'Series dropped by the cardinality guard per second',
        'short',
        `sum by (scrape_job, reason) (rate(${scrape.seriesDropped}[5m]))`,
        `${byJob} {{reason}}`,
      ),
      series(
        'Output samples sent per second',
        'short',
        `sum by (output) (rate(${sink.samplesSent}[5m]))`,
        '{{output}}',
      ),
      series(
        'Output queue fill',
        'percentunit',
        `max by (output) (${sink.queueSamples} / ${sink.queueCapacity})`,
        '{{output}}',
        [{ value: 0.9, color: 'red' }],
      ),
      series(
        'Output write errors per second',
        'short',
        `sum by (output, reason) (rate(${sink.writeErrors}[5m]))`,
        '{{output}} {{reason}}',
      ),
      series(
        'Output samples dropped per second',
        'short',
        `sum by (output, reason) (rate(${sink.samplesDropped}[5m]))`,
        '{{output}} {{reason}}',
      ),
      series('Discovered targets by job', 'short', `sum by (scrape_job) (${discovery.targetsDiscovered})`, byJob),
      series(
        'Targets after relabeling by job and result',
        'short',
        `sum by (scrape_job, result) (${discovery.targetsRelabeled})`,
        `${byJob} {{result}}`,
      ),
      series(
        'Discovery watch errors per second',
        'short',
        `sum by (kind, action) (rate(${discovery.watchErrors}[5m]))`,
        '{{kind}} {{action}}',
      ),
      series(
        'Sharded targets owned per replica',
        'short',
        `sum by (instance) (${discovery.shardTargets}{owner="owned"})`,
        '{{instance}}',
        [{ value: 0, color: 'red' }],
      ),
    ],
  });
}
