import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  startNodeExporter,
  startPrometheus,
  type NodeExporter,
  type PrometheusServer,
} from '../../test/env/index.ts';
import { until } from '../../test/support/eventually.ts';
import { dashboard, type GrafanaDashboard } from '../grafana.ts';
import { allDashboards } from '../index.ts';
import { clusterRulesFile } from '../render.ts';
import type { Box } from './draw-values.ts';
import { compactLayout, layoutPanels, renderDashboardPng } from './render-pngs.ts';
import { palette } from './theme.ts';

const main = join(import.meta.dirname, '../../cli/main.ts');
const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The RGB pixels of a PNG, with its size. */
async function pixels(png: Buffer): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: ctx.getImageData(0, 0, image.width, image.height).data };
}

/** How many pixels inside `box` are within a small distance of the colour `#rrggbb`. */
function count(image: { width: number; data: Uint8ClampedArray }, box: Box, hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  let n = 0;
  for (let y = Math.ceil(box.y); y < box.y + box.h; y += 1)
    for (let x = Math.ceil(box.x); x < box.x + box.w; x += 1) {
      const i = (y * image.width + x) * 4;
      const d = Math.abs(image.data[i]! - r) + Math.abs(image.data[i + 1]! - g) + Math.abs(image.data[i + 2]! - b);
      if (d < 24) n += 1;
    }
  return n;
}

/** The frame of the panel titled `title` in an image of `model` 1600 pixels wide. */
function frameOf(model: GrafanaDashboard, title: string): Box {
  const found = layoutPanels(model, 1600).panels.find((p) => p.panel.title === title);
  if (found === undefined) throw new Error(`no panel ${title}`);
  return found.frame;
}

describe('render dashboards --png from a live Prometheus scraping node_exporter', () => {
  let exporter: NodeExporter;
  let prometheus: PrometheusServer;
  let out: string;
  let cli: ReturnType<typeof spawnSync>;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'render-png-'));
    exporter = await startNodeExporter();
    prometheus = await startPrometheus({
      scrapeTargets: [{ job: 'node', target: exporter.target }],
      ruleFiles: [clusterRulesFile],
    });
    // rate() needs two scrapes, and the nodes dashboard reads recorded series.
    await until(
      async () => (await prometheus.query('instance:node_cpu_utilisation:rate5m')).length > 0,
      'recorded CPU utilisation',
    );
    cli = spawnSync(
      process.execPath,
      [main, 'render', 'dashboards', '--png', out, '--prometheus', prometheus.url, '--range', '5m'],
      { encoding: 'utf8', timeout: 120_000 },
    );
  });
  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
  });

  it('writes one PNG per dashboard and lists them', () => {
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const names = Object.keys(allDashboards()).map((f) => f.replace('.json', '.png'));
    expect(readdirSync(out).sort()).toEqual([...names].sort());
    for (const name of names) expect(cli.stdout).toContain(join(out, name));
  });

  it('writes real PNG images, as wide as asked and as tall as the panels', async () => {
    for (const [file, model] of Object.entries(allDashboards())) {
      const png = readFileSync(join(out, file.replace('.json', '.png')));
      expect(png.subarray(0, 8).equals(signature), file).toBe(true);
      expect(png.length, file).toBeGreaterThan(10_000);
      const image = await pixels(png);
      expect(image.width, file).toBe(1600);
      expect(image.height, file).toBe(layoutPanels(model, 1600).height);
    }
  });

  it("draws the nodes dashboard's series in the palette colours where data exists", async () => {
    const model = allDashboards()['cluster-nodes.json']!;
    const image = await pixels(readFileSync(join(out, 'cluster-nodes.png')));
    // One node: the first series of each panel takes the palette's first colour.
    for (const title of ['Memory used', 'Load per CPU', 'Filesystem space used'])
      expect(count(image, frameOf(model, title), palette[0]!), title).toBeGreaterThan(30);
    expect(cli.stdout).not.toMatch(/cluster-nodes\.png {2}\(no data/);
  });

  it('draws "No data" for an empty query, a threshold colour for a stat, and lists the empty panel', async () => {
    const model = dashboard({
      uid: 'png-test',
      title: 'PNG test',
      description: 'a dashboard made for this test',
      panels: [
        { title: 'Scraped', type: 'timeseries', unit: 'short', targets: [{ expr: 'up{job="node"}' }] },
        { title: 'Empty', type: 'timeseries', unit: 'short', targets: [{ expr: 'no_such_series_for_this_test' }] },
        {
          title: 'Five',
          type: 'stat',
          unit: 'short',
          targets: [{ expr: 'vector(5)' }],
          thresholds: [{ value: 1, color: 'red' }],
        },
      ],
    });
    const drawn = await renderDashboardPng(model, { prometheusUrl: prometheus.url, rangeSeconds: 300 });
    expect(drawn.emptyPanels).toEqual(['Empty']);
    expect(drawn.failedPanels).toEqual([]);
    const image = await pixels(drawn.png);
    expect(count(image, frameOf(model, 'Scraped'), palette[0]!)).toBeGreaterThan(30);
    const empty = frameOf(model, 'Empty');
    expect(count(image, empty, palette[0]!)).toBe(0);
    // "No data" in muted grey, in the middle of the panel.
    const middle = { x: empty.x + empty.w / 3, y: empty.y + empty.h / 3, w: empty.w / 3, h: empty.h / 3 };
    expect(count(image, middle, '#8e8e8e')).toBeGreaterThan(20);
    expect(count(image, frameOf(model, 'Five'), '#F2495C')).toBeGreaterThan(5000);
    // --selector limits every query: no series of job "node" has job "other".
    const limited = await renderDashboardPng(model, {
      prometheusUrl: prometheus.url,
      rangeSeconds: 300,
      matchers: ['job="other"'],
    });
    expect(limited.emptyPanels).toEqual(['Scraped', 'Empty']);
  });

  it('draws a query Prometheus refuses in red and lists it as failed', async () => {
    const model = dashboard({
      uid: 'png-refused',
      title: 'PNG refused',
      description: 'a dashboard made for this test',
      panels: [{ title: 'Refused', type: 'stat', unit: 'short', targets: [{ expr: '{__name__=~".*"}' }] }],
    });
    const drawn = await renderDashboardPng(model, { prometheusUrl: prometheus.url, rangeSeconds: 300 });
    expect(drawn.failedPanels).toHaveLength(1);
    expect(drawn.failedPanels[0]).toMatch(/^Refused: Prometheus refused .*non-empty matcher/);
    expect(count(await pixels(drawn.png), frameOf(model, 'Refused'), '#F2495C')).toBeGreaterThan(20);
  });

  it('fails with exit code 1 naming the URL when Prometheus is unreachable, writing nothing', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const dir = join(out, 'unreachable');
    const result = spawnSync(process.execPath, [main, 'render', 'dashboards', '--png', dir, '--prometheus', url], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Prometheus at ${url} is unreachable (ECONNREFUSED)`);
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses an unknown dashboard and a bad range with exit code 2', () => {
    const args = (...more: string[]): string[] => [main, 'render', 'dashboards', '--png', out, ...more];
    const unknown = spawnSync(process.execPath, args('--prometheus', prometheus.url, '--dashboard', 'nope'), {
      encoding: 'utf8',
    });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no dashboard named "nope"; there are: .*cluster-nodes/);
    const range = spawnSync(process.execPath, args('--prometheus', prometheus.url, '--range', 'an hour'), {
      encoding: 'utf8',
    });
    expect(range.status).toBe(2);
    expect(range.stderr).toContain('--range');
  });
});

describe('the PNG layout', () => {
  it("moves panels up into the holes short panels leave, as Grafana's grid does, without overlaps", () => {
    const stat = (x: number) => ({ x, y: 0, w: 12, h: 5 });
    // The builder puts the next row at y 8 under stats 5 high; a panel under a wider one stays below it.
    expect(compactLayout([stat(0), stat(12), { x: 0, y: 8, w: 24, h: 8 }, { x: 0, y: 20, w: 6, h: 4 }])).toEqual([
      stat(0),
      stat(12),
      { x: 0, y: 5, w: 24, h: 8 },
      { x: 0, y: 13, w: 6, h: 4 },
    ]);
  });
});

describe('the plotting libraries', () => {
  it('are loaded by render dashboards only, not by the agent or the rest of render', () => {
    // Records every module the CLI resolves while building the agent and the render commands.
    const script = `
      import { registerHooks } from 'node:module';
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { seen.push(specifier); return next(specifier, context); } });
      const { buildProgram } = await import(${JSON.stringify(join(import.meta.dirname, '../../cli/program.ts'))});
      await buildProgram(['node', 'main', 'agent']);
      await buildProgram(['node', 'main', 'render']);
      process.stdout.write(JSON.stringify(seen));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const seen = JSON.parse(result.stdout) as string[];
    expect(seen.some((s) => s.includes('commands/render.ts'))).toBe(true);
    expect(seen.filter((s) => /chart\.js|@napi-rs\/canvas|render-pngs/.test(s))).toEqual([]);
  });
});
