import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allDashboards } from './index.ts';

/** Source of the alert and recording rules. */
export const rulesFile = join(import.meta.dirname, '../alerts/watchkeeper.rules.yaml');

/** Serialises a dashboard the way the rendered files are written. */
export function dashboardJson(model: unknown): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** Writes every dashboard to `<out>/dashboards/` and the rules to `<out>/alerts/`; returns the paths written. */
export async function renderAll(out: string): Promise<string[]> {
  const written: string[] = [];
  await mkdir(join(out, 'dashboards'), { recursive: true });
  await mkdir(join(out, 'alerts'), { recursive: true });
  for (const [file, model] of Object.entries(allDashboards())) {
    const path = join(out, 'dashboards', file);
    await writeFile(path, dashboardJson(model));
    written.push(path);
  }
  const rules = join(out, 'alerts', 'watchkeeper.rules.yaml');
  await copyFile(rulesFile, rules);
  written.push(rules);
  return written;
}
