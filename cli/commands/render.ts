import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { renderAll } from '../../dashboards/render.ts';
import { helmValuesSchema } from '../helm-values-schema.ts';
import { renderManifests } from '../manifests.ts';

/** `watchkeeper render manifests -c FILE`: the plain Kubernetes manifests with a config file embedded. */
function manifestsCommand(): Command {
  return new Command('manifests')
    .description(
      "print the Kubernetes manifests (deploy/kubernetes) with a configuration file in every component's ConfigMap",
    )
    .requiredOption('-c, --config <file>', 'watchkeeper configuration file (validated first)')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper render manifests -c watchkeeper.yaml > watchkeeper.yaml.k8s && kubectl apply -f watchkeeper.yaml.k8s
Exit codes: 0 printed, 2 invalid configuration (nothing printed). With Helm, use the chart instead (docs/install.md).`,
    )
    .action(async (options: { config: string }) => {
      process.stdout.write(await renderManifests(options.config));
    });
}

/** `watchkeeper render`: writes the Grafana dashboards and Prometheus rules to files. */
export function renderCommand(): Command {
  return new Command('render')
    .addCommand(manifestsCommand())
    .description(
      'write the Grafana dashboards (JSON) and the Prometheus alert and recording rules (YAML) to a directory',
    )
    .option('--out <dir>', 'output directory', 'rendered')
    .option(
      '--values-schema <file>',
      "instead, write the Helm chart's values.schema.json (from the config schema) to this file",
    )
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper render --out /tmp/wk      then import /tmp/wk/dashboards/*.json into Grafana
                                        and add /tmp/wk/alerts/*.rules.yaml to Prometheus rule_files
  watchkeeper render --values-schema deploy/helm/watchkeeper/values.schema.json
                                        regenerate the chart's values schema after changing the config schema`,
    )
    .action(async (options: { out: string; valuesSchema?: string }) => {
      if (options.valuesSchema) {
        await writeFile(options.valuesSchema, `${JSON.stringify(helmValuesSchema(), null, 2)}\n`);
        process.stdout.write(`${options.valuesSchema}\n`);
        return;
      }
      for (const path of await renderAll(options.out)) process.stdout.write(`${path}\n`);
    });
}
