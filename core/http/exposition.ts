import { Registry, type Metric, type OpenMetricsContentType } from 'prom-client';

/** A registered metric as prom-client's registry uses it. */
interface RegisteredMetric {
  name: string;
  help: string;
  type: string;
  get(): Promise<{ name: string; type: string; values: unknown[] }>;
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
 * Writes a registry in the text format 0.0.4 or, when asked, in OpenMetrics 1.0, from the same
 * registry. prom-client writes one format per registry and, in OpenMetrics, renames counters in
 * place (`x_total` becomes `x` for good), so the OpenMetrics answer goes through a throw-away registry
 * of wrappers: the real metrics keep their names, and `untyped` becomes OpenMetrics' `unknown`.
 */
export async function exposition(
  registry: Registry, openMetrics: boolean,
): Promise<{ contentType: string; body: string }> {
  if (!openMetrics) return { contentType: registry.contentType, body: await registry.metrics() };
  const om = new Registry<OpenMetricsContentType>();
  om.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  for (const metric of registry.getMetricsAsArray() as unknown as RegisteredMetric[]) {
    const wrapper = {
      name: metric.name,
      help: metric.help,
      type: metric.type === 'untyped' ? 'unknown' : metric.type,
      get: async () => {
        const result = await metric.get();
        return { ...result, name: wrapper.name, type: wrapper.type };
      },
    };
    om.registerMetric(wrapper as unknown as Metric);
  }
  return { contentType: om.contentType, body: await om.metrics() };
}
