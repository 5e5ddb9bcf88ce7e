import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { allDashboards } from './index.ts';

/** Source of the alert and recording rules. */
export const rulesFile = join(import.meta.dirname, '../alerts/watchkeeper.rules.yaml');

/** Source of the cluster's alert and recording rules (control plane, etcd, nodes, kubelets, containers). */
export const clusterRulesFile = join(import.meta.dirname, '../alerts/cluster.rules.yaml');

/** Every rule file watchkeeper ships, rendered under `alerts/` with the same base name. */
export const ruleFiles = [rulesFile, clusterRulesFile];

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
  for (const file of ruleFiles) {
    const rules = join(out, 'alerts', basename(file));
    await copyFile(file, rules);
    written.push(rules);
  }
  return written;
}
