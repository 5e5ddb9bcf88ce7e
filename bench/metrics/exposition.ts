// The benchmark target's body: a fixed set of series of every type whose values move every interval,
// rendered as Prometheus text 0.0.4 or OpenMetrics 1.0.

/** How the series are split between types. */
export interface SeriesMix {
  counters: number;
  gauges: number;
  /** Histograms, each with `bucketBounds.length` + 1 buckets, _sum and _count. */
  histograms: number;
  /** Summaries, each with `quantiles.length` quantiles, _sum and _count. */
  summaries: number;
}

const bucketBounds = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1'];
const quantiles = ['0.5', '0.9', '0.99'];
/** Series per family: families are not all tiny or all huge in real targets. */
const seriesPerFamily = 100;

/** Series in one histogram and in one summary. */
export const histogramSeries = bucketBounds.length + 3;
export const summarySeries = quantiles.length + 2;

/** A mix of about `total` series: 30 % counters, 30 % gauges, 26 % in histograms, 14 % in summaries. */
export function mixFor(total: number): SeriesMix {
  return {
    counters: Math.round(total * 0.3),
    gauges: Math.round(total * 0.3),
    histograms: Math.round((total * 0.26) / histogramSeries),
    summaries: Math.round((total * 0.14) / summarySeries),
  };
}

/** Series the body exposes. */
export function seriesCount(mix: SeriesMix): number {
  return mix.counters + mix.gauges + mix.histograms * histogramSeries + mix.summaries * summarySeries;
}

/** Labels of the n-th series of a family, like those of a pod-level target. */
function labels(n: number): string {
  return `namespace="ns-${n % 20}",pod="app-${(n * 7919) % 100_000}-x7k2p",container="main",path="/api/v1/items/${n % 37}"`;
}

/** A value that moves with the interval number so every scrape carries new samples. */
function moving(n: number, epoch: number, step: number): number {
  return (n % 1000) * 3 + epoch * step + (n % 7);
}

/**
 * Renders the body for interval `epoch` in the given format. Counters and histogram/summary counts only
 * grow; gauges go up and down. OpenMetrics adds `_total` to counter samples, `# EOF` at the end.
 */
export function renderExposition(mix: SeriesMix, epoch: number, format: 'text' | 'openmetrics'): string {
  const om = format === 'openmetrics';
  const parts: string[] = [];
  const families = (count: number): number => Math.ceil(count / seriesPerFamily);
  for (let f = 0; f < families(mix.counters); f++) {
    const name = `bench_requests_${f}`;
    // OpenMetrics names the family without the _total its samples carry; the text format names it like them.
    const sample = `${name}_total`;
    const family = om ? name : sample;
    parts.push(`# HELP ${family} Requests handled by handler ${f}.\n# TYPE ${family} counter\n`);
    for (let i = f * seriesPerFamily; i < Math.min(mix.counters, (f + 1) * seriesPerFamily); i++) {
      parts.push(`${sample}{${labels(i)}} ${moving(i, epoch, 11)}\n`);
    }
  }
  for (let f = 0; f < families(mix.gauges); f++) {
    const name = `bench_queue_depth_${f}`;
    parts.push(`# HELP ${name} Items waiting in queue ${f}.\n# TYPE ${name} gauge\n`);
    for (let i = f * seriesPerFamily; i < Math.min(mix.gauges, (f + 1) * seriesPerFamily); i++) {
      parts.push(`${name}{${labels(i)}} ${(moving(i, epoch, 5) % 500) / 4}\n`);
    }
  }
  const perHistogramFamily = Math.max(1, Math.floor(seriesPerFamily / histogramSeries));
  for (let f = 0; f < Math.ceil(mix.histograms / perHistogramFamily); f++) {
    const name = `bench_request_duration_seconds_${f}`;
    parts.push(`# HELP ${name} Request latency of handler ${f}.\n# TYPE ${name} histogram\n`);
    for (let h = f * perHistogramFamily; h < Math.min(mix.histograms, (f + 1) * perHistogramFamily); h++) {
      const l = labels(h);
      const count = moving(h, epoch, 40);
      bucketBounds.forEach((le, b) => {
        parts.push(`${name}_bucket{${l},le="${le}"} ${Math.floor((count * (b + 1)) / (bucketBounds.length + 1))}\n`);
      });
      parts.push(
        `${name}_bucket{${l},le="+Inf"} ${count}\n${name}_sum{${l}} ${(count * 0.137).toFixed(3)}\n${name}_count{${l}} ${count}\n`,
      );
    }
  }
  const perSummaryFamily = Math.max(1, Math.floor(seriesPerFamily / summarySeries));
  for (let f = 0; f < Math.ceil(mix.summaries / perSummaryFamily); f++) {
    const name = `bench_gc_pause_seconds_${f}`;
    parts.push(`# HELP ${name} Pause times of collector ${f}.\n# TYPE ${name} summary\n`);
    for (let s = f * perSummaryFamily; s < Math.min(mix.summaries, (f + 1) * perSummaryFamily); s++) {
      const l = labels(s);
      const count = moving(s, epoch, 9);
      quantiles.forEach((q, k) =>
        parts.push(`${name}{${l},quantile="${q}"} ${(0.001 * (k + 1) * ((s % 13) + 1)).toFixed(4)}\n`),
      );
      parts.push(`${name}_sum{${l}} ${(count * 0.0021).toFixed(4)}\n${name}_count{${l}} ${count}\n`);
    }
  }
  if (om) parts.push('# EOF\n');
  return parts.join('');
}
