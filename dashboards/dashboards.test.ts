import { readFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportedSeriesNames, referencedMetricNames } from '../alerts/metric-names.ts';
import { startPrometheus, type PrometheusServer } from '../test/env/index.ts';
import { allDashboards } from './index.ts';
import { dashboardJson, renderAll, ruleFiles, rulesFile } from './render.ts';

const dashboards = allDashboards();
const panels = Object.values(dashboards).flatMap(
  (d) => d.panels as { title: string; targets: { expr: string }[]; gridPos: { x: number; w: number } }[],
);

describe('dashboards', () => {
  let prometheus: PrometheusServer;
  beforeAll(async () => {
    prometheus = await startPrometheus({ ruleFiles: [rulesFile] });
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('are committed as rendered (if not, run `npm run watchkeeper -- render`)', () => {
    for (const [file, model] of Object.entries(dashboards)) {
      expect(readFileSync(join(import.meta.dirname, '../rendered/dashboards', file), 'utf8'), file).toBe(
        dashboardJson(model),
      );
    }
  });

  it('have unique uids and panels that fit the 24-column grid', () => {
    expect(new Set(Object.values(dashboards).map((d) => d.uid)).size).toBe(Object.keys(dashboards).length);
    for (const panel of panels) expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
  });

  it('query only metric names the components export', async () => {
    const exported = await exportedSeriesNames();
    for (const panel of panels) {
      for (const target of panel.targets)
        for (const name of referencedMetricNames(target.expr))
          expect(exported, `${panel.title}: ${name}`).toContain(name);
    }
  });

  it('use PromQL that a real Prometheus accepts', async () => {
    for (const panel of panels) {
      for (const target of panel.targets) {
        await expect(prometheus.query(target.expr), `${panel.title}: ${target.expr}`).resolves.toBeInstanceOf(Array);
      }
    }
  });

  it('ship the current rules in rendered/', () => {
    expect(readFileSync(join(import.meta.dirname, '../rendered/alerts/watchkeeper.rules.yaml'), 'utf8')).toBe(
      readFileSync(rulesFile, 'utf8'),
    );
  });

  it('render to files with the rules beside them', async () => {
    const out = await mkdtemp(join(tmpdir(), 'render-'));
    const written = await renderAll(out);
    expect(written).toHaveLength(Object.keys(dashboards).length + ruleFiles.length);
    expect((await readdir(join(out, 'dashboards'))).sort()).toEqual(Object.keys(dashboards).sort());
    expect(readFileSync(join(out, 'alerts', 'watchkeeper.rules.yaml'), 'utf8')).toBe(readFileSync(rulesFile, 'utf8'));
  });
});
