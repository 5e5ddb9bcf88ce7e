import { Command } from 'commander';
import { runService } from '../../core/service.ts';
import { startMetricsInService } from '../metrics-service.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';

/** `watchkeeper collector`: the cluster-level metrics collectors (a Deployment), running the agent's scrape engine. */
export function collectorCommand(): Command {
  return withConfigOptions(new Command('collector'))
    .description(
      'cluster-level metrics collectors: scrape the metrics.jobs targets, expose them at /metrics, ' +
        'push to the sinks',
    )
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper collector -c watchkeeper.yaml
  watchkeeper collector -c watchkeeper.yaml --set server.port=9465 --set log.level=debug
  POD_NAME=collector-0 watchkeeper collector -c watchkeeper.yaml --set metrics.sharding.enabled=true
                                                      share the kubernetes jobs' targets with the other replicas
Runs the metrics collectors whatever metrics.enabled says (that switch is for the agent) until SIGTERM or SIGINT.
/readyz is ready once every job's targets are known; /metrics carries every scraped series with its target labels.
Exit codes: 0 stopped cleanly, 1 failed at run time, 2 bad configuration.`,
    )
    .action(async (options: ConfigOptions) => {
      const config = await configFromOptions(options);
      await runService({ mode: 'collector', config, start: (ctx) => startMetricsInService(ctx, 'collector') });
    });
}
