import { Command } from 'commander';
import { metricsParseCommand } from './metrics-parse.ts';
import { metricsScrapeCommand } from './metrics-scrape.ts';
import { metricsTargetsCommand } from './metrics-targets.ts';

/**
 * `watchkeeper metrics ...`: tools for people debugging metrics targets. Each subcommand lives in its
 * own file (`metrics-<name>.ts`); this file only assembles them.
 */
export function metricsCommand(): Command {
  return new Command('metrics')
    .description('debug metrics targets: parse an exposition body, scrape a live target, list the configured targets')
    .addHelpText(
      'after',
      `
Examples:
  curl -s http://localhost:9100/metrics | watchkeeper metrics parse - -o json
  watchkeeper metrics parse body.txt --format openmetrics -o json | jq -r .name | sort | uniq -c
  watchkeeper metrics scrape http://127.0.0.1:9100/metrics -o json
  watchkeeper metrics targets -c watchkeeper.yaml`,
    )
    .addCommand(metricsParseCommand())
    .addCommand(metricsScrapeCommand())
    .addCommand(metricsTargetsCommand());
}
