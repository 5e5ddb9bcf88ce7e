import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { customiseDashboard, customiseRules, type RenderCustomisation } from './customise.ts';
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

/**
 * Writes every dashboard to `<out>/dashboards/` and the rules to `<out>/alerts/`, with a datasource uid and label
 * matchers applied when given (every query is rewritten first, so a bad one writes nothing); returns the paths.
 */
export async function renderAll(out: string, options: RenderCustomisation = {}): Promise<string[]> {
  const files = new Map<string, string>();
  for (const [file, model] of Object.entries(allDashboards()))
    files.set(join(out, 'dashboards', file), dashboardJson(customiseDashboard(model, options)));
  for (const file of ruleFiles)
    files.set(
      join(out, 'alerts', basename(file)),
      customiseRules(await readFile(file, 'utf8'), options.matchers ?? []),
    );
  await mkdir(join(out, 'dashboards'), { recursive: true });
  await mkdir(join(out, 'alerts'), { recursive: true });
  for (const [path, text] of files) await writeFile(path, text);
  return [...files.keys()];
}
