import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { durationMs } from '../../collectors/metrics/duration.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import type { RenderCustomisation } from '../../dashboards/customise.ts';
import { parseMatchers, PromqlSyntaxError } from '../../dashboards/promql-matchers.ts';
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
    );
}

/** Collects a repeatable option's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The options shared by `render` and `render dashboards`, turned into a customisation; bad ones are usage errors. */
function customisation(options: { datasourceUid?: string; selector: string[] }): RenderCustomisation {
  if (options.datasourceUid !== undefined && !/^[A-Za-z0-9._-]{1,40}$/.test(options.datasourceUid))
    throw new WatchkeeperError(
      'usage',
      `--datasource-uid ${JSON.stringify(options.datasourceUid)}: ` +
        'a Grafana uid is 1-40 letters, digits, ".", "_" or "-"',
    );
  try {
    return { datasourceUid: options.datasourceUid, matchers: options.selector.flatMap((s) => parseMatchers(s)) };
  } catch (error) {
    if (error instanceof PromqlSyntaxError)
      throw new WatchkeeperError(
        'usage',
        `--selector: ${error.message} (label values are quoted PromQL strings: --selector 'cluster="prod"')`,
      );
    throw error;
  }
}

/** Adds --datasource-uid and --selector to a command. */
function withCustomisationOptions(command: Command): Command {
  return command
    .option(
      '--datasource-uid <uid>',
      'Grafana datasource uid that every panel uses (instead of the datasource variable)',
    )
    .option(
      '--selector <matchers>',
      'label matchers added to every series selector of every rule and panel query, e.g. cluster="prod" (repeatable)',
      collect,
      [],
    );
}

/** `watchkeeper render dashboards --png DIR --prometheus URL`: one PNG per dashboard from live data. */
function dashboardsCommand(): Command {
  return new Command('dashboards')
    .description("draw each dashboard's panels from a live Prometheus into one PNG file per dashboard")
    .requiredOption('--png <dir>', 'directory for the PNG files (<dashboard file name>.png)')
    .requiredOption('--prometheus <url>', 'Prometheus base URL, e.g. http://prometheus:9090')
    .option('--range <duration>', 'time range of the time series panels, ending now (e.g. 15m, 1h, 6h)', '1h')
    .option('--dashboard <name>', 'only this dashboard: uid or file name, e.g. cluster-nodes (repeatable)', collect, [])
    .option('--width <pixels>', 'image width in pixels', '1600')
    .addHelpText(
      'after',
      `
Panels are laid out by their grid position, with titles, units on the axes, legends, thresholds as lines,
and "No data" where a query returned nothing. Variables are drawn at their "All" value.
The --selector option of \`watchkeeper render\` applies here too (label matchers added to every query).

Examples:
  watchkeeper render dashboards --png /tmp/png --prometheus http://localhost:9090
  watchkeeper render dashboards --png /tmp/png --prometheus http://localhost:9090 --range 6h --dashboard cluster-nodes
  watchkeeper render dashboards --png /tmp/png --prometheus http://prom:9090 --selector 'cluster="prod"'
Exit codes: 0 written (empty panels are listed, not errors), 1 Prometheus unreachable or a query failed,
2 bad usage (unknown dashboard, bad --range, --selector or --width).`,
    )
    .action(
      async (
        options: { png: string; prometheus: string; range: string; dashboard: string[]; width: string },
        command: Command,
      ) => {
        let rangeMs: number;
        try {
          rangeMs = durationMs(options.range);
        } catch (error) {
          throw new WatchkeeperError('usage', `--range: ${(error as Error).message}`);
        }
        const width = Number(options.width);
        if (!Number.isInteger(width) || width < 400 || width > 8000)
          throw new WatchkeeperError('usage', `--width ${options.width}: give a whole number of pixels, 400 to 8000`);
        // --selector is an option of `render` (Commander reads a parent's options after the subcommand too).
        const { matchers } = customisation(command.parent!.opts<{ datasourceUid?: string; selector: string[] }>());
        const { renderDashboardPngs } = await loadPngRenderer();
        const results = await renderDashboardPngs({
          outDir: options.png,
          prometheusUrl: options.prometheus,
          rangeSeconds: Math.max(1, Math.round(rangeMs / 1000)),
          dashboards: options.dashboard,
          matchers,
          width,
        });
        for (const r of results) {
          const empty = r.emptyPanels.length === 0 ? '' : `  (no data: ${r.emptyPanels.join('; ')})`;
          process.stdout.write(`${r.path}${empty}\n`);
        }
      },
    );
}

/**
 * Loads the PNG renderer. Only here: the canvas and chart libraries are large and no other command needs them, and
 * the image leaves them out (about 41 MB; deploy/Dockerfile), so their absence is an error that says so.
 */
async function loadPngRenderer(): Promise<typeof import('../../dashboards/png/render-pngs.ts')> {
  try {
    return await import('../../dashboards/png/render-pngs.ts');
  } catch (error) {
    const missing = /'(@napi-rs\/canvas|chart\.js)'/.exec((error as Error).message)?.[1];
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND' || missing === undefined) throw error;
    throw new WatchkeeperError(
      'failed',
      `render dashboards --png needs the package ${missing}, which is not installed (the watchkeeper image leaves ` +
        'the drawing libraries out): run it from a checkout or an npm install of watchkeeper',
      { cause: error },
    );
  }
}

/** `watchkeeper render`: writes the Grafana dashboards and Prometheus rules to files. */
export function renderCommand(): Command {
  return withCustomisationOptions(
    new Command('render')
      .addCommand(
        manifestsCommand().action(async (options: { config: string }) => {
          process.stdout.write(await renderManifests(options.config));
        }),
      )
      .addCommand(dashboardsCommand())
      .description(
        'write the Grafana dashboards (JSON) and the Prometheus alert and recording rules (YAML) to a directory',
      )
      .option('--out <dir>', 'output directory', 'rendered')
      .option(
        '--values-schema <file>',
        "instead, write the Helm chart's values.schema.json (from the config schema) to this file",
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper render --out /tmp/wk      then import /tmp/wk/dashboards/*.json into Grafana
                                        and add /tmp/wk/alerts/*.rules.yaml to Prometheus rule_files
  watchkeeper render --out /tmp/wk --datasource-uid prom-main --selector 'cluster="prod"'
                                        dashboards bound to the Grafana datasource "prom-main" (no datasource
                                        variable) and every rule and panel query limited to cluster="prod"
  watchkeeper render --out /tmp/wk --selector 'cluster="prod", env=~"eu-.*"'
  watchkeeper render dashboards --png /tmp/png --prometheus http://localhost:9090
                                        PNG pictures of the dashboards from live data (render dashboards --help)
  watchkeeper render --values-schema deploy/helm/watchkeeper/values.schema.json
                                        regenerate the chart's values schema after changing the config schema
Exit codes: 0 written, 1 failure, 2 bad usage (a --selector that is not label matchers, a bad --datasource-uid;
nothing is written then).`,
    )
    .action(async (options: { out: string; valuesSchema?: string; datasourceUid?: string; selector: string[] }) => {
      if (options.valuesSchema) {
        await writeFile(options.valuesSchema, `${JSON.stringify(helmValuesSchema(), null, 2)}\n`);
        process.stdout.write(`${options.valuesSchema}\n`);
        return;
      }
      for (const path of await renderAll(options.out, customisation(options))) process.stdout.write(`${path}\n`);
    });
}
