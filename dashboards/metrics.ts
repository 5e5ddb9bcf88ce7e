import { scrapeMetricNames as scrape } from '../collectors/metrics/metrics.ts';
import { sinkMetricNames as sink } from '../collectors/metrics/sinks/metrics.ts';
import { dashboard, type GrafanaDashboard } from './grafana.ts';

/** The metrics collectors' own health: targets, scrape errors, samples, series, outputs. */
export function metricsDashboard(): GrafanaDashboard {
  return dashboard({
    uid: 'watchkeeper-metrics',
    title: 'watchkeeper / Metrics collectors',
    description: 'Scrape targets up and down, scrape errors by reason, samples and series, the cardinality guard, and the InfluxDB and remote_write outputs.',
    panels: [
      { title: 'Targets down', type: 'stat', unit: 'short', width: 6, targets: [{ expr: `sum(${scrape.targets}{state="down"}) or vector(0)` }], thresholds: [{ value: 1, color: 'red' }] },
      { title: 'Targets up', type: 'stat', unit: 'short', width: 6, targets: [{ expr: `sum(${scrape.targets}{state="up"}) or vector(0)` }] },
      { title: 'Active series', type: 'stat', unit: 'short', width: 6, targets: [{ expr: `sum(${scrape.seriesActive})` }] },
      { title: 'Samples scraped per second', type: 'stat', unit: 'short', width: 6, targets: [{ expr: `sum(rate(${scrape.samplesScraped}[5m]))` }] },
      { title: 'Targets by job and state', type: 'timeseries', unit: 'short', targets: [{ expr: `sum by (scrape_job, state) (${scrape.targets})`, legend: '{{scrape_job}} {{state}}' }] },
      { title: 'Scrape errors per second', type: 'timeseries', unit: 'short', targets: [{ expr: `sum by (scrape_job, reason) (rate(${scrape.scrapeErrors}[5m]))`, legend: '{{scrape_job}} {{reason}}' }] },
      { title: 'Samples scraped per second by job', type: 'timeseries', unit: 'short', targets: [{ expr: `sum by (scrape_job) (rate(${scrape.samplesScraped}[5m]))`, legend: '{{scrape_job}}' }] },
      { title: 'Scrape duration p99', type: 'timeseries', unit: 's', targets: [{ expr: `histogram_quantile(0.99, sum by (scrape_job, le) (rate(${scrape.scrapeDuration}_bucket[5m])))`, legend: '{{scrape_job}}' }] },
      { title: 'Active series by job', type: 'timeseries', unit: 'short', targets: [{ expr: `sum by (scrape_job) (${scrape.seriesActive})`, legend: '{{scrape_job}}' }] },
      { title: 'Series dropped by the cardinality guard per second', type: 'timeseries', unit: 'short', targets: [{ expr: `sum by (scrape_job, reason) (rate(${scrape.seriesDropped}[5m]))`, legend: '{{scrape_job}} {{reason}}' }] },
      { title: 'Output samples sent per second', type: 'timeseries', unit: 'short', targets: [{ expr: `sum by (output) (rate(${sink.samplesSent}[5m]))`, legend: '{{output}}' }] },
      { title: 'Output queue fill', type: 'timeseries', unit: 'percentunit', targets: [{ expr: `max by (output) (${sink.queueSamples} / ${sink.queueCapacity})`, legend: '{{output}}' }], thresholds: [{ value: 0.9, color: 'red' }] },
      { title: 'Output write errors per second', type: 'timeseries', unit: 'short', targets: [{ expr: `sum by (output, reason) (rate(${sink.writeErrors}[5m]))`, legend: '{{output}} {{reason}}' }] },
      { title: 'Output samples dropped per second', type: 'timeseries', unit: 'short', targets: [{ expr: `sum by (output, reason) (rate(${sink.samplesDropped}[5m]))`, legend: '{{output}} {{reason}}' }] },
    ],
  });
}
