import { Command } from 'commander';
import { Registry } from 'prom-client';
import { WatchkeeperError } from '../../core/errors.ts';
import { resolveKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';
import { createLogger } from '../../core/log.ts';
import { runService } from '../../core/service.ts';
import { ProbeLoop } from '../../prober/loop.ts';
import { createProberMetrics } from '../../prober/metrics.ts';
import { recordProbeResult } from '../../prober/record.ts';
import { formatProbeTable, probeResultJson } from '../../prober/report.ts';
import { runProbe } from '../../prober/runner.ts';
import { probeSteps } from '../../prober/steps/index.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';

interface ProberOptions extends ConfigOptions {
  once?: boolean;
  output: string;
}

/** `watchkeeper prober [--once]`: black-box probes of the Kubernetes API, on an interval or once. */
export function proberCommand(): Command {
  return withConfigOptions(new Command('prober'))
    .description(
      'run black-box probes against the Kubernetes API (serves metrics; --once runs one probe and prints what broke)',
    )
    .option('--once', 'run one probe, print a table of steps and exit 1 if it failed')
    .option('-o, --output <format>', 'with --once: table or json', 'table')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper prober --once                            probe the cluster of the current kubeconfig context
  watchkeeper prober --once --set prober.replicas=2 -o json
  watchkeeper prober -c watchkeeper.yaml               probe every prober.intervalSeconds, metrics on :9464/metrics
Exit codes (--once): 0 every step passed, 1 a step failed, 2 bad usage or configuration.`,
    )
    .action(async (options: ProberOptions) => {
      if (options.output !== 'table' && options.output !== 'json') {
        throw new WatchkeeperError('usage', `--output: expected table or json, found "${options.output}"`);
      }
      const config = await configFromOptions(options);
      const access = await resolveKubeAccess({
        kubeconfig: config.kubernetes.kubeconfig,
        context: config.kubernetes.context,
      });
      if (options.once === true) {
        // Logs go to stderr so that stdout holds only the report.
        const logger = createLogger({
          level: config.log.level,
          format: config.log.format === 'auto' ? 'json' : config.log.format,
          destination: process.stderr,
        }).child({ component: 'prober' });
        const client = new KubeClient(access);
        const controller = new AbortController();
        // Ctrl-C cancels the run; teardown still requests the namespace's deletion.
        const onSigint = (): void => controller.abort(new Error('interrupted'));
        process.once('SIGINT', onSigint);
        try {
          const result = await runProbe({
            client,
            config: config.prober,
            logger,
            steps: probeSteps(config.prober),
            signal: controller.signal,
          });
          recordProbeResult(createProberMetrics(new Registry()), result);
          process.stdout.write(
            options.output === 'json'
              ? `${JSON.stringify(probeResultJson(result), null, 2)}\n`
              : formatProbeTable(result),
          );
          if (!result.ok)
            throw new WatchkeeperError('failed', `probe failed at ${result.failure ?? 'an unknown step'}`);
        } finally {
          process.off('SIGINT', onSigint);
          client.close();
        }
        return;
      }
      await runService({
        mode: 'prober',
        config,
        start: (ctx) => {
          const logger = ctx.logger.child({ component: 'prober' });
          logger.info(
            { kubernetes: access.description, intervalSeconds: config.prober.intervalSeconds },
            'Prober starting.',
          );
          const client = new KubeClient(access);
          const loop = new ProbeLoop({
            client,
            config: config.prober,
            logger,
            metrics: createProberMetrics(ctx.registry),
          });
          loop.start();
          ctx.lifecycle.add({
            name: 'prober',
            stop: async () => {
              await loop.stop();
              client.close();
            },
          });
          return Promise.resolve();
        },
      });
    });
}
