import type { GrafanaDashboard } from './grafana.ts';

/** The query variables (all but the datasource) of a dashboard model, by name. */
export function queryVariableNames(model: GrafanaDashboard): string[] {
  const list = (model.templating as { list: { name: string; type: string }[] } | undefined)?.list ?? [];
  return list.filter((v) => v.type === 'query').map((v) => v.name);
}

/**
 * A panel query as Grafana sends it with every variable of the dashboard at its "All" value (`.*`): `$name` and
 * `${name}` replaced. Longer names first, so `$node` never eats the start of `$nodename`.
 */
export function withAllValues(expr: string, model: GrafanaDashboard): string {
  let out = expr;
  for (const name of queryVariableNames(model).sort((a, b) => b.length - a.length))
    out = out.replaceAll(`\${${name}}`, '.*').replaceAll(`$${name}`, '.*');
  return out;
}

/** The `$name` and `${name}` references in a query (Grafana's built-ins such as `$__rate_interval` excluded). */
export function referencedVariables(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\$\{?([A-Za-z][A-Za-z0-9_]*)\}?/g)].map((m) => m[1]!))];
}
