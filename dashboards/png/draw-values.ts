import type { SKRSContext2D } from '@napi-rs/canvas';
import type { QuerySeries } from './prometheus-api.ts';
import { font, mutedText, text, thresholdColour, type ThresholdStep } from './theme.ts';
import { formatValue } from './units.ts';

/** The rectangle a panel's body (below its title) takes in the image. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A series with its legend text, as drawn. */
export interface NamedSeries extends QuerySeries {
  name: string;
}

/** Writes `message` centred in the box, in muted text: "No data", or a query error in red. */
export function drawMessage(ctx: SKRSContext2D, box: Box, message: string, colour = mutedText): void {
  ctx.fillStyle = colour;
  ctx.font = `${Math.max(12, Math.min(20, Math.floor(box.h / 6)))}px ${font}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(fit(ctx, message, box.w - 16), box.x + box.w / 2, box.y + box.h / 2);
}

/** Shortens a text with an ellipsis until it fits `width` pixels. */
export function fit(ctx: SKRSContext2D, value: string, width: number): string {
  if (ctx.measureText(value).width <= width) return value;
  let cut = value;
  while (cut.length > 1 && ctx.measureText(`${cut}…`).width > width) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * A stat or gauge panel: the last value of each series side by side, each on the background colour its thresholds
 * give (Grafana's colorMode "background"), the series name above the value when there are several.
 */
export function drawStat(
  ctx: SKRSContext2D,
  box: Box,
  series: NamedSeries[],
  unit: string,
  steps: ThresholdStep[],
): void {
  const shown = series.slice(0, 6);
  const w = box.w / shown.length;
  for (const [i, s] of shown.entries()) {
    const value = s.points.at(-1)![1];
    const cell = { x: box.x + i * w + 2, y: box.y + 2, w: w - 4, h: box.h - 4 };
    ctx.fillStyle = thresholdColour(value, steps);
    ctx.fillRect(cell.x, cell.y, cell.w, cell.h);
    ctx.fillStyle = '#ffffff';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const size = Math.max(14, Math.min(48, Math.floor(cell.h / 2.5)));
    ctx.font = `bold ${size}px ${font}`;
    const label = shown.length > 1 ? s.name : '';
    ctx.fillText(
      fit(ctx, formatValue(value, unit), cell.w - 8),
      cell.x + cell.w / 2,
      cell.y + cell.h / 2 + (label ? 8 : 0),
    );
    if (label) {
      ctx.font = `12px ${font}`;
      ctx.fillText(fit(ctx, label, cell.w - 8), cell.x + cell.w / 2, cell.y + 14);
    }
  }
  if (series.length > shown.length) {
    ctx.fillStyle = text;
    ctx.font = `11px ${font}`;
    ctx.textAlign = 'right';
    ctx.fillText(`+${series.length - shown.length} more`, box.x + box.w - 4, box.y + box.h - 8);
  }
}

/** A table panel: one row per series, its name and last value, as many rows as fit. */
export function drawTable(ctx: SKRSContext2D, box: Box, series: NamedSeries[], unit: string): void {
  const rowHeight = 18;
  const rows = Math.max(1, Math.floor(box.h / rowHeight) - 1);
  ctx.font = `12px ${font}`;
  ctx.textBaseline = 'middle';
  for (const [i, s] of series.slice(0, rows).entries()) {
    const y = box.y + rowHeight * (i + 0.5);
    ctx.fillStyle = text;
    ctx.textAlign = 'left';
    ctx.fillText(fit(ctx, s.name, box.w * 0.7), box.x + 8, y);
    ctx.textAlign = 'right';
    ctx.fillText(formatValue(s.points.at(-1)![1], unit), box.x + box.w - 8, y);
  }
  if (series.length > rows) {
    ctx.fillStyle = mutedText;
    ctx.textAlign = 'left';
    ctx.fillText(`+${series.length - rows} more rows`, box.x + 8, box.y + rowHeight * (rows + 0.5));
  }
}
