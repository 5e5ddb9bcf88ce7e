/** A PromQL query of a panel, with its legend. */
export interface Target {
  expr: string;
  legend?: string;
}

/** What a panel shows; layout is computed by {@link dashboard}. */
export interface PanelSpec {
  title: string;
  type: 'timeseries' | 'stat';
  targets: Target[];
  /** Grafana unit id, e.g. 's', 'bytes', 'short', 'percentunit', 'dateTimeFromNow'. */
  unit: string;
  description?: string;
  /** Width in grid columns (24 per row); default 12. */
  width?: number;
  /** Threshold lines or colours: values from which the colour turns to `color`. */
  thresholds?: { value: number; color: string }[];
  /** Colour below the first threshold; default green (red for "up" counts whose healthy value is above it). */
  baseColor?: string;
}

/** A Grafana query variable over a Prometheus label (`label_values(query, label)`), with an "All" option. */
export interface VariableSpec {
  name: string;
  label: string;
  /** e.g. `label_values(up{job="node"}, instance)`. */
  query: string;
}

/** A link to another dashboard by uid, keeping the time range and variables. */
export interface LinkSpec {
  title: string;
  uid: string;
}

/** A Grafana dashboard model (schemaVersion 39), as imported by Grafana's API or provisioning. */
export interface GrafanaDashboard {
  uid: string;
  title: string;
  tags: string[];
  [key: string]: unknown;
}

const datasource = { type: 'prometheus', uid: '${datasource}' };

/** Builds a dashboard with a Prometheus datasource variable, laying panels out left to right. */
export function dashboard(spec: {
  uid: string;
  title: string;
  description: string;
  panels: PanelSpec[];
  /** Query variables after the datasource variable. */
  variables?: VariableSpec[];
  links?: LinkSpec[];
  tags?: string[];
}): GrafanaDashboard {
  let x = 0;
  let y = 0;
  const panels = spec.panels.map((panel, index) => {
    const w = panel.width ?? 12;
    const h = panel.type === 'stat' ? 5 : 8;
    if (x + w > 24) {
      x = 0;
      y += 8;
    }
    const gridPos = { x, y, w, h };
    x += w;
    return {
      id: index + 1,
      type: panel.type,
      title: panel.title,
      description: panel.description ?? '',
      datasource,
      gridPos,
      targets: panel.targets.map((t, i) => ({
        refId: String.fromCharCode(65 + i),
        datasource,
        expr: t.expr,
        legendFormat: t.legend ?? '',
      })),
      fieldConfig: {
        defaults: {
          unit: panel.unit,
          thresholds: {
            mode: 'absolute',
            steps: [{ color: panel.baseColor ?? 'green', value: null }, ...(panel.thresholds ?? [])],
          },
        },
        overrides: [],
      },
      options:
        panel.type === 'stat'
          ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background' }
          : {
              legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] },
              tooltip: { mode: 'multi' },
            },
    };
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags ?? ['watchkeeper'],
    schemaVersion: 39,
    editable: false,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Data source', current: {} },
        ...(spec.variables ?? []).map((v) => ({
          name: v.name,
          label: v.label,
          type: 'query',
          datasource,
          query: { query: v.query, refId: 'variable' },
          definition: v.query,
          refresh: 2,
          includeAll: true,
          allValue: '.*',
          multi: true,
          sort: 1,
          current: { text: 'All', value: '$__all' },
        })),
      ],
    },
    ...(spec.links
      ? {
          links: spec.links.map((l) => ({
            title: l.title,
            type: 'link',
            url: `/d/${l.uid}`,
            keepTime: true,
            includeVars: true,
            targetBlank: false,
          })),
        }
      : {}),
    panels,
  };
}
