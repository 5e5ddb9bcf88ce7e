import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { Chart, registerables, type Plugin } from 'chart.js';
import type { Box, NamedSeries } from './draw-values.ts';
import { colour, font, gridLine, palette, text, type ThresholdStep } from './theme.ts';
import { formatDistinct } from './units.ts';

Chart.register(...registerables);
Chart.defaults.font.family = font;
Chart.defaults.color = text;

/** Most series drawn in one panel: past that the legend would take the whole panel; the title says how many. */
export const maxSeriesPerPanel = 12;

/** Draws each threshold step (the base colour excepted) as a dashed horizontal line where it is on the y axis. */
function thresholdLines(steps: ThresholdStep[]): Plugin<'line'> {
  return {
    id: 'watchkeeperThresholds',
    afterDatasetsDraw(chart) {
      const { chartArea, scales } = chart;
      // Chart.js types its context with the DOM's CanvasRenderingContext2D; here it is @napi-rs/canvas's.
      const ctx = chart.ctx as unknown as SKRSContext2D;
      const y = scales.y!;
      for (const step of steps) {
        if (step.value === null || step.value < y.min || step.value > y.max) continue;
        const at = y.getPixelForValue(step.value);
        ctx.save();
        ctx.strokeStyle = colour(step.color);
        ctx.setLineDash([6, 4]);
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(chartArea.left, at);
        ctx.lineTo(chartArea.right, at);
        ctx.stroke();
        ctx.restore();
      }
    },
  };
}

/** A step for the time axis that gives at most about 7 ticks on whole minutes or hours. */
function timeStep(seconds: number): number {
  const steps = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];
  return (steps.find((s) => seconds / s <= 7) ?? Math.ceil(seconds / 7 / 86_400) * 86_400) * 1000;
}

/** `HH:MM` (UTC) of a time in milliseconds for the time axis, `HH:MM:SS` when ticks are less than a minute apart. */
function clock(ms: number, stepMs: number): string {
  return new Date(ms).toISOString().slice(11, stepMs < 60_000 ? 19 : 16);
}

/**
 * A time series panel drawn by Chart.js on its own canvas and copied into the box: one line per series in palette
 * order, the time axis over [start, end] (unix seconds, UTC), the value axis in the panel's unit, a legend below
 * and the thresholds as dashed lines.
 */
export function drawTimeseries(
  ctx: SKRSContext2D,
  box: Box,
  series: NamedSeries[],
  unit: string,
  steps: ThresholdStep[],
  range: { start: number; end: number },
): void {
  const canvas = createCanvas(Math.max(50, Math.floor(box.w)), Math.max(50, Math.floor(box.h)));
  const chart = new Chart(canvas, {
    type: 'line',
    data: {
      datasets: series.slice(0, maxSeriesPerPanel).map((s, i) => ({
        label: s.name.length > 48 ? `${s.name.slice(0, 47)}…` : s.name,
        data: s.points.map(([t, v]) => ({ x: t * 1000, y: v })),
        borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length],
        borderWidth: 2,
        pointRadius: s.points.length === 1 ? 2 : 0,
        spanGaps: false,
      })),
    },
    options: {
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      parsing: false,
      scales: {
        x: {
          type: 'linear',
          min: range.start * 1000,
          max: range.end * 1000,
          grid: { color: gridLine },
          ticks: {
            callback: (v) => clock(Number(v), timeStep(range.end - range.start)),
            stepSize: timeStep(range.end - range.start),
            maxRotation: 0,
            font: { size: 10 },
          },
        },
        y: {
          grid: { color: gridLine },
          ticks: {
            callback: (_v, i, ticks) =>
              formatDistinct(
                ticks.map((t) => t.value),
                unit,
              )[i],
            maxTicksLimit: 6,
            font: { size: 10 },
          },
        },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 10, boxHeight: 2, font: { size: 10 }, padding: 6 } },
        tooltip: { enabled: false },
      },
    },
    plugins: [thresholdLines(steps)],
  });
  ctx.drawImage(canvas, box.x, box.y);
  chart.destroy();
}
