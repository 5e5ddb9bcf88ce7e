import { Command } from 'commander';
import { Registry } from 'prom-client';
import { formatTable } from '../../core/table.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import { createLogger } from '../../core/log.ts';
import { ScrapeEngine, type TargetStatus } from '../../collectors/metrics/scrape/engine.ts';
import { settingsOfStaticJob } from '../../collectors/metrics/scrape/scrape-settings.ts';
import { staticJobRelabeling } from '../../collectors/metrics/job-relabeling.ts';
import { StaticTargetSource } from '../../collectors/metrics/static-source.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';

interface TargetsOptions extends ConfigOptions {
  output: string;
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
}

/** `watchkeeper metrics targets`: scrapes every configured target once and lists its state. */
export function metricsTargetsCommand(): Command {
  return withConfigOptions(new Command('targets'))
    .description(
      'scrape every configured target once and list its state: up, last error, labels before and after ' + 'relabeling',
    )
    .option('-o, --output <output>', 'table or json', 'table')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper metrics targets -c watchkeeper.yaml
  watchkeeper metrics targets -c watchkeeper.yaml -o json | jq '.targets[] | select(.health == "down")'
Every target is scraped once, all at the same time, with its job's timeout; nothing is exposed or sent to sinks.
Exit codes: 0 every target is up, 1 a target is down or cannot be scraped at all, 2 bad usage or configuration.`,
    )
    .action(async (options: TargetsOptions) => {
      if (options.output !== 'table' && options.output !== 'json') {
        throw new WatchkeeperError('usage', `--output: expected table or json, found "${options.output}"`);
      }
      const config = await configFromOptions(options);
      // Logs go to stderr so that stdout holds only the report.
      const logger = createLogger({ level: 'warn', format: 'json', destination: process.stderr });
      const { limits } = config.metrics;
      const engine = new ScrapeEngine({ registry: new Registry(), logger, limits, expose: false, loops: false });
      try {
        for (const job of config.metrics.jobs) {
          if (job.kubernetes) {
            process.stderr.write(
              `job ${job.job}: discovered targets are not listed here; see ` +
                "watchkeeper_discovery_targets and watchkeeper_relabel_targets at the running process's /metrics\n",
            );
            continue;
          }
          engine.addJob(settingsOfStaticJob(job), new StaticTargetSource(job), staticJobRelabeling(job));
        }
        await engine.start();
      } catch (error) {
        throw new WatchkeeperError('config_invalid', `metrics.jobs: ${(error as Error).message}`, { cause: error });
      }
      await engine.scrapeAllOnce();
      const targets = engine.targets();
      const invalid = engine.invalidTargets();
      const dropped = engine.droppedTargets();
      await engine.stop();
      const json = (): string => `${JSON.stringify({ targets: targets.map(targetJson), dropped, invalid }, null, 2)}\n`;
      process.stdout.write(options.output === 'json' ? json() : table(targets, dropped, invalid));
      if (targets.some((t) => t.health !== 'up') || invalid.length > 0) process.exitCode = 1;
    });
}

function targetJson(t: TargetStatus): unknown {
  return {
    job: t.job,
    url: t.url,
    health: t.health,
    lastError: t.lastError ?? null,
    durationSeconds: t.lastDurationSeconds,
    samples: t.samples,
    discoveredLabels: t.discoveredLabels,
    labels: t.labels,
  };
}

function table(
  targets: readonly TargetStatus[],
  dropped: readonly { job: string; discoveredLabels: Record<string, string> }[],
  invalid: readonly { job: string; reason: string }[],
): string {
  if (targets.length === 0 && invalid.length === 0) return 'No targets configured (metrics.jobs is empty).\n';
  let text = formatTable(
    ['JOB', 'URL', 'HEALTH', 'SAMPLES', 'DURATION', 'LAST ERROR'],
    targets.map((t) => [
      t.job,
      t.url,
      t.health,
      String(t.samples),
      `${t.lastDurationSeconds.toFixed(3)}s`,
      t.lastError ?? '',
    ]),
  );
  text += '\nLabels (before relabeling -> after):\n';
  for (const t of targets) text += `  ${t.url}: {${labelText(t.discoveredLabels)}} -> {${labelText(t.labels)}}\n`;
  for (const d of dropped) text += `  dropped by relabeling in job ${d.job}: {${labelText(d.discoveredLabels)}}\n`;
  for (const i of invalid) text += `invalid target in job ${i.job}: ${i.reason}\n`;
  return text;
}
