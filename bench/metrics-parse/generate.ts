// Builds the benchmark's exposition body: 100,000 samples of mixed families, shaped like what
// control-plane components and exporters expose (3-4 labels per series, histograms with 10 buckets).

/** Exposition format of a generated body. */
export type BodyFormat = 'text' | 'openmetrics';

const buckets = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
const quantiles = ['0.5', '0.9', '0.99'];
const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'LIST', 'WATCH', 'APPLY', 'HEAD', 'OPTIONS'];

/**
 * 30,000 counter samples (100 families x 300 series), 20,000 gauges (100 x 200), 42,000 histogram
 * samples (50 families x 70 series x 12) and 8,000 summary samples (20 x 80 x 5): 100,000 in all.
 */
export function generateBody(format: BodyFormat): { body: string; samples: number } {
  const om = format === 'openmetrics';
  const out: string[] = [];
  let samples = 0;
  for (let f = 0; f < 100; f++) {
    const family = `bench_requests_${f}`;
    out.push(`# HELP ${om ? family : `${family}_total`} Requests handled by component ${f}.`);
    out.push(`# TYPE ${om ? family : `${family}_total`} counter`);
    for (let s = 0; s < 300; s++) {
      const labels = `method="${methods[s % 10]}",code="${200 + (s % 30)}",resource="resource_${s % 47}"`;
      out.push(`${family}_total{${labels}} ${s * 1013 + f}`);
      samples++;
    }
  }
  for (let f = 0; f < 100; f++) {
    const family = `bench_queue_depth_${f}`;
    out.push(`# HELP ${family} Items waiting in queue ${f}.`, `# TYPE ${family} gauge`);
    for (let s = 0; s < 200; s++) {
      out.push(`${family}{queue="queue_${s}",node="node-${s % 13}.cluster.local"} ${(s * 0.37).toFixed(2)}`);
      samples++;
    }
  }
  for (let f = 0; f < 50; f++) {
    const family = `bench_request_duration_seconds_${f}`;
    out.push(`# HELP ${family} Request latency of handler group ${f}.`, `# TYPE ${family} histogram`);
    for (let s = 0; s < 70; s++) {
      const labels = `verb="${methods[s % 10]}",scope="scope_${s % 7}",component="apiserver"`;
      let cumulative = 0;
      for (const le of buckets) {
        cumulative += s + 3;
        out.push(`${family}_bucket{${labels},le="${le}"} ${cumulative}`);
      }
      out.push(`${family}_sum{${labels}} ${(cumulative * 0.0421).toFixed(4)}`);
      out.push(`${family}_count{${labels}} ${cumulative}`);
      samples += 12;
    }
  }
  for (let f = 0; f < 20; f++) {
    const family = `bench_gc_duration_seconds_${f}`;
    out.push(`# HELP ${family} GC pauses of pool ${f}.`, `# TYPE ${family} summary`);
    for (let s = 0; s < 80; s++) {
      const labels = `pool="pool_${s}"`;
      for (const q of quantiles) out.push(`${family}{${labels},quantile="${q}"} ${(s * 1.7e-5).toExponential(3)}`);
      out.push(`${family}_sum{${labels}} ${s * 0.25}`, `${family}_count{${labels}} ${s * 11}`);
      samples += 5;
    }
  }
  if (om) out.push('# EOF');
  return { body: `${out.join('\n')}\n`, samples };
}
