import { Registry, type Metric, type OpenMetricsContentType } from 'prom-client';

/** A registered metric as prom-client's registry uses it. */
interface RegisteredMetric {
  name: string;
  help: string;
  type: string;
  get(): Promise<{ name: string; type: string; values: unknown[] }>;
}

/**
 * A registered metric that writes its own exposition text, in chunks, instead of handing prom-client
 * one object per series (the scraped series of the metrics collectors: 100,000 series as prom-client
 * values and lines cost about 1 KB each for the time of a request, and 1-2 s of CPU).
 */
export interface StreamedMetric {
  /** Writes the family (HELP, TYPE and sample lines, each ending with a line feed) through `write`. */
  writeExposition(openMetrics: boolean, write: (text: string) => Promise<void>): Promise<void>;
}

/** Content types of the two formats. */
export const expositionContentTypes = {
  text: Registry.PROMETHEUS_CONTENT_TYPE,
  openMetrics: Registry.OPENMETRICS_CONTENT_TYPE,
} as const;

function isStreamed(metric: unknown): metric is StreamedMetric {
  return typeof (metric as Partial<StreamedMetric>).writeExposition === 'function';
}

/** Whether an Accept header asks for OpenMetrics (any quality above 0). */
export function acceptsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const [mediaType, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (mediaType !== 'application/openmetrics-text') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * Writes a registry in the text format 0.0.4 or, when asked, in OpenMetrics 1.0, one family at a
 * time, so that the body is never held whole. prom-client's metrics are written by prom-client;
 * in OpenMetrics through a throw-away registry of wrappers, because prom-client writes one format per
 * registry and renames counters in place (`x_total` becomes `x` for good): the real metrics keep their
 * names, and `untyped` becomes OpenMetrics' `unknown`. {@link StreamedMetric}s write themselves.
 */
export async function writeExposition(
  registry: Registry,
  openMetrics: boolean,
  write: (text: string) => Promise<void>,
): Promise<void> {
  const metrics = registry.getMetricsAsArray() as unknown as RegisteredMetric[];
  if (!openMetrics) {
    for (const metric of metrics) {
      if (isStreamed(metric)) await metric.writeExposition(false, write);
      else await write(`${await registry.getSingleMetricAsString(metric.name)}\n`);
    }
    return;
  }
  const om = new Registry<OpenMetricsContentType>();
  om.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  for (const metric of metrics) {
    if (isStreamed(metric)) {
      await metric.writeExposition(true, write);
      continue;
    }
    const type = metric.type === 'untyped' ? 'unknown' : metric.type;
    const name = type === 'counter' ? metric.name.replace(/_total$/, '') : metric.name;
    const wrapper = { name, help: metric.help, type, get: async () => ({ ...(await metric.get()), name, type }) };
    om.registerMetric(wrapper as unknown as Metric);
    await write(`${await om.getSingleMetricAsString(name)}\n`);
    om.removeSingleMetric(name);
  }
  await write('# EOF\n');
}

/** The whole exposition as one string (tests, small registries). */
export async function exposition(
  registry: Registry,
  openMetrics: boolean,
): Promise<{ contentType: string; body: string }> {
  const parts: string[] = [];
  await writeExposition(registry, openMetrics, (text) => {
    parts.push(text);
    return Promise.resolve();
  });
  const contentType = openMetrics ? expositionContentTypes.openMetrics : expositionContentTypes.text;
  return { contentType, body: parts.join('') };
}
