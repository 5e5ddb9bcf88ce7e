import { Command } from 'commander';
import { renderAll } from '../../dashboards/render.ts';

/** `watchkeeper render`: writes the Grafana dashboards and Prometheus rules to files. */
export function renderCommand(): Command {
  return new Command('render')
    .description('write the Grafana dashboards (JSON) and the Prometheus alert and recording rules (YAML) to a directory')
    .option('--out <dir>', 'output directory', 'rendered')
    .addHelpText('after', `
Examples:
  watchkeeper render --out /tmp/wk      then import /tmp/wk/dashboards/*.json into Grafana
                                        and add /tmp/wk/alerts/*.rules.yaml to Prometheus rule_files`)
    .action(async (options: { out: string }) => {
      for (const path of await renderAll(options.out)) process.stdout.write(`${path}\n`);
    });
}
