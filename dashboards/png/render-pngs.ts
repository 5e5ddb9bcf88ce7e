import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { WatchkeeperError } from '../../core/errors.ts';
import type { GrafanaDashboard } from '../grafana.ts';
import { allDashboards } from '../index.ts';
import { addMatchers } from '../promql-matchers.ts';
import { withAllValues } from '../variables.ts';
import { drawTimeseries, maxSeriesPerPanel } from './draw-timeseries.ts';
import { drawMessage, drawStat, drawTable, fit, type Box, type NamedSeries } from './draw-values.ts';
import { PrometheusApi } from './prometheus-api.ts';
import { background, font, panelBackground, panelBorder, text, type ThresholdStep } from './theme.ts';

/** How a dashboard is drawn: from which Prometheus, over which time range. */
export interface PngOptions {
  /** Prometheus base URL, e.g. http://127.0.0.1:9090. */
  prometheusUrl: string;
  /** Time range of the time series panels, ending at `end`. */
  rangeSeconds: number;
  /** End of the range and time of the instant queries (unix seconds); default now. */
  end?: number;
  /** Image width in pixels; default 1600 (Grafana's 24 columns of about 67 pixels). */
  width?: number;
  /** Label matchers (from parseMatchers) added to every query, as `render --selector` does. */
  matchers?: string[];
}

/** One drawn dashboard: the PNG and which panels had no data or a failed query. */
export interface DashboardPng {
  png: Buffer;
  /** Titles of panels whose every query returned nothing (drawn as "No data"). */
  emptyPanels: string[];
  /** Titles of panels with a failed query, with Prometheus' error (drawn in red). */
  failedPanels: string[];
}

/** The parts of a Grafana panel the renderer reads. */
export interface PanelModel {
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr?: string; legendFormat?: string }[];
  fieldConfig?: { defaults?: { unit?: string; thresholds?: { steps?: ThresholdStep[] } } };
}

const headerHeight = 44;
const titleHeight = 24;
const gap = 4;

/**
 * The panels' grid positions moved up as far as they go without overlapping, as Grafana's grid compacts them
 * (a row of short stat panels followed by taller ones leaves no hole).
 */
export function compactLayout(positions: PanelModel['gridPos'][]): PanelModel['gridPos'][] {
  const placed: PanelModel['gridPos'][] = [];
  const order = positions.map((p, i) => ({ p, i })).sort((a, b) => a.p.y - b.p.y || a.p.x - b.p.x);
  const out: PanelModel['gridPos'][] = [];
  for (const { p, i } of order) {
    const overlaps = (y: number): boolean =>
      placed.some((q) => p.x < q.x + q.w && q.x < p.x + p.w && y < q.y + q.h && q.y < y + p.h);
    let y = p.y;
    while (y > 0 && !overlaps(y - 1)) y -= 1;
    const moved = { ...p, y };
    placed.push(moved);
    out[i] = moved;
  }
  return out;
}

/** The legend text of a series: the legend format with `{{label}}` filled in, or its labels. */
function seriesName(metric: Record<string, string>, legendFormat: string | undefined): string {
  if (legendFormat) return legendFormat.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, l: string) => metric[l] ?? '');
  const { __name__: name, ...labels } = metric;
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return pairs.length > 0 ? `${name ?? ''}{${pairs.join(', ')}}` : (name ?? 'value');
}

/** Queries one panel: range queries for time series, instant queries for the other kinds. */
async function queryPanel(
  api: PrometheusApi,
  model: GrafanaDashboard,
  panel: PanelModel,
  range: { start: number; end: number; step: number },
  matchers: string[],
): Promise<NamedSeries[]> {
  const series: NamedSeries[] = [];
  for (const target of panel.targets ?? []) {
    if (!target.expr) continue;
    const expr = addMatchers(withAllValues(target.expr, model), matchers);
    const answer =
      panel.type === 'timeseries'
        ? await api.range(expr, range.start, range.end, range.step)
        : await api.instant(expr, range.end);
    for (const s of answer)
      if (s.points.length > 0) series.push({ ...s, name: seriesName(s.metric, target.legendFormat) });
  }
  return series;
}

/** Draws a panel's frame and title; returns the box left for its content. */
function drawFrame(ctx: SKRSContext2D, box: Box, title: string): Box {
  ctx.fillStyle = panelBackground;
  ctx.fillRect(box.x, box.y, box.w, box.h);
  ctx.strokeStyle = panelBorder;
  ctx.lineWidth = 1;
  ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w - 1, box.h - 1);
  ctx.fillStyle = text;
  ctx.font = `bold 13px ${font}`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(fit(ctx, title, box.w - 16), box.x + 8, box.y + titleHeight / 2 + 2);
  return { x: box.x + 4, y: box.y + titleHeight, w: box.w - 8, h: box.h - titleHeight - 4 };
}

/**
 * Where each panel of a dashboard goes in an image `width` pixels wide (24 columns, 30 pixels per grid row at 1600
 * wide, below a title bar), after compacting the grid as Grafana does; and the image's height.
 */
export function layoutPanels(
  model: GrafanaDashboard,
  width: number,
): { height: number; panels: { panel: PanelModel; frame: Box }[] } {
  const given = (model.panels ?? []) as PanelModel[];
  const layout = compactLayout(given.map((p) => p.gridPos));
  const column = width / 24;
  const row = Math.max(20, Math.round((30 * width) / 1600));
  const rows = Math.max(1, ...layout.map((p) => p.y + p.h));
  const panels = given.map((panel, i) => {
    const p = layout[i]!;
    const frame = {
      x: p.x * column + gap / 2,
      y: headerHeight + p.y * row + gap / 2,
      w: p.w * column - gap,
      h: p.h * row - gap,
    };
    return { panel: { ...panel, gridPos: p }, frame };
  });
  return { height: headerHeight + rows * row + gap, panels };
}

/**
 * Draws one dashboard model from live Prometheus data into a PNG: panels placed by their gridPos (24 columns,
 * 30 pixels per row at 1600 pixels wide), each with its title; time series from range queries with units on the
 * value axis, legends and thresholds as lines; stat and gauge panels as coloured values, tables as rows; "No
 * data" where every query of a panel returned nothing. Variables are at their "All" value. Fails with a clear
 * error when Prometheus is unreachable; a query Prometheus refuses is drawn in red and listed in `failedPanels`.
 */
export async function renderDashboardPng(model: GrafanaDashboard, options: PngOptions): Promise<DashboardPng> {
  const api = new PrometheusApi(options.prometheusUrl);
  await api.check();
  const width = options.width ?? 1600;
  const end = options.end ?? Math.floor(Date.now() / 1000);
  const start = end - options.rangeSeconds;
  const range = { start, end, step: Math.max(1, Math.ceil(options.rangeSeconds / 300)) };
  const { height, panels } = layoutPanels(model, width);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = text;
  ctx.font = `bold 18px ${font}`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(model.title, 12, headerHeight / 2);
  ctx.font = `12px ${font}`;
  ctx.textAlign = 'right';
  const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 16).replace('T', ' ');
  ctx.fillText(`${iso(start)} to ${iso(end)} UTC · ${options.prometheusUrl}`, width - 12, headerHeight / 2);

  const emptyPanels: string[] = [];
  const failedPanels: string[] = [];
  for (const { panel, frame } of panels) {
    const unit = panel.fieldConfig?.defaults?.unit ?? 'short';
    const steps = panel.fieldConfig?.defaults?.thresholds?.steps ?? [];
    let series: NamedSeries[];
    try {
      series = await queryPanel(api, model, panel, range, options.matchers ?? []);
    } catch (error) {
      if (error instanceof WatchkeeperError && error.message.includes('unreachable')) throw error;
      const message = (error as Error).message;
      failedPanels.push(`${panel.title}: ${message}`);
      drawMessage(ctx, drawFrame(ctx, frame, panel.title), message, '#F2495C');
      continue;
    }
    const more = series.length > maxSeriesPerPanel && panel.type === 'timeseries';
    const body = drawFrame(
      ctx,
      frame,
      more ? `${panel.title} (${maxSeriesPerPanel} of ${series.length})` : panel.title,
    );
    if (series.length === 0) {
      emptyPanels.push(panel.title);
      drawMessage(ctx, body, 'No data');
    } else if (panel.type === 'timeseries') drawTimeseries(ctx, body, series, unit, steps, range);
    else if (panel.type === 'table') drawTable(ctx, body, series, unit);
    else drawStat(ctx, body, series, unit, steps);
  }
  return { png: await canvas.encode('png'), emptyPanels, failedPanels };
}

/** What {@link renderDashboardPngs} wrote for one dashboard. */
export interface WrittenPng extends Omit<DashboardPng, 'png'> {
  /** Dashboard file name without .json, e.g. cluster-nodes. */
  name: string;
  path: string;
}

/**
 * Draws every dashboard watchkeeper ships (or those named by uid or file name) into `<outDir>/<name>.png`. Fails
 * with a usage error naming an unknown dashboard before drawing anything, and with a run-time error when any
 * panel's query failed (after writing every image, so the failure can be seen).
 */
export async function renderDashboardPngs(
  options: PngOptions & { outDir: string; dashboards?: string[] },
): Promise<WrittenPng[]> {
  const all = Object.entries(allDashboards()).map(([file, model]) => ({ name: file.replace(/\.json$/, ''), model }));
  const wanted = options.dashboards ?? [];
  for (const name of wanted)
    if (!all.some((d) => d.name === name || d.model.uid === name || `${d.name}.json` === name))
      throw new WatchkeeperError(
        'usage',
        `no dashboard named ${JSON.stringify(name)}; there are: ${all.map((d) => d.name).join(', ')}`,
      );
  const chosen =
    wanted.length === 0
      ? all
      : all.filter((d) => wanted.some((n) => n === d.name || n === d.model.uid || n === `${d.name}.json`));
  // Unreachable Prometheus: fail before creating anything.
  await new PrometheusApi(options.prometheusUrl).check();
  await mkdir(options.outDir, { recursive: true });
  const written: WrittenPng[] = [];
  for (const { name, model } of chosen) {
    const { png, emptyPanels, failedPanels } = await renderDashboardPng(model, options);
    const path = join(options.outDir, `${name}.png`);
    await writeFile(path, png);
    written.push({ name, path, emptyPanels, failedPanels });
  }
  const failed = written.flatMap((w) => w.failedPanels.map((f) => `${w.name} / ${f}`));
  if (failed.length > 0)
    throw new WatchkeeperError('failed', `images written, but queries failed: ${failed.join('; ')}`);
  return written;
}
