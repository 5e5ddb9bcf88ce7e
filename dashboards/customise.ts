import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { GrafanaDashboard } from './grafana.ts';
import { addMatchers } from './promql-matchers.ts';

/** What `watchkeeper render` changes in the dashboards and rules it writes. */
export interface RenderCustomisation {
  /** Grafana datasource uid every panel, query and variable uses instead of the `datasource` variable. */
  datasourceUid?: string;
  /** Label matchers (from parseMatchers) added to every series selector of every query and rule expression. */
  matchers?: string[];
}

const datasourceVariable = '${datasource}';

/** `label_values(<selector>, <label>)`, Grafana's variable query; the selector is PromQL, the label is not. */
function withMatchersInVariable(query: string, matchers: string[]): string {
  const m = /^label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)$/s.exec(query);
  if (m === null) return query;
  return `label_values(${addMatchers(m[1]!, matchers)}, ${m[2]!})`;
}

/** Walks a dashboard model, rewriting datasource references, panel queries and variable queries. */
function rewrite(value: unknown, options: RenderCustomisation, key = ''): unknown {
  const matchers = options.matchers ?? [];
  if (Array.isArray(value)) return value.map((v) => rewrite(v, options));
  if (typeof value === 'string') {
    if (key === 'expr') return addMatchers(value, matchers);
    if (key === 'definition') return withMatchersInVariable(value, matchers);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) {
    if (k === 'uid' && v === datasourceVariable && options.datasourceUid !== undefined) out[k] = options.datasourceUid;
    else if (k === 'query' && typeof v === 'object' && v !== null && 'refId' in v && 'query' in v)
      out[k] = { ...(v as Record<string, unknown>), query: withMatchersInVariable(String(v.query), matchers) };
    else out[k] = rewrite(v, options, k);
  }
  return out;
}

/**
 * A copy of a dashboard for one Prometheus: with a datasource uid, every panel, target and variable points at it and
 * the `datasource` variable is dropped; with matchers, every panel query and `label_values` variable query gets them.
 */
export function customiseDashboard(model: GrafanaDashboard, options: RenderCustomisation): GrafanaDashboard {
  const out = rewrite(model, options) as GrafanaDashboard;
  if (options.datasourceUid !== undefined) {
    const templating = out.templating as { list: { type: string }[] };
    templating.list = templating.list.filter((v) => v.type !== 'datasource');
  }
  return out;
}

/**
 * A Prometheus rule file (YAML text) with label matchers added to every series selector of every rule's `expr`;
 * comments, order and the scalar styles of the file are kept.
 */
export function customiseRules(text: string, matchers: string[]): string {
  if (matchers.length === 0) return text;
  const doc = parseDocument(text);
  const groups = doc.get('groups');
  if (!isSeq(groups)) throw new Error('rule file has no "groups" list');
  for (const group of groups.items) {
    const rules = isMap(group) ? group.get('rules') : undefined;
    if (!isSeq(rules)) continue;
    for (const rule of rules.items) {
      const expr = isMap(rule) ? rule.get('expr', true) : undefined;
      if (isScalar(expr) && typeof expr.value === 'string') expr.value = addMatchers(expr.value, matchers);
    }
  }
  return doc.toString({ lineWidth: 0 });
}
