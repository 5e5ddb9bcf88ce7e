import { Command } from 'commander';
import { runService } from '../../core/service.ts';
import { startMetricsInService } from '../metrics-service.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';

/** `watchkeeper agent`: the node agent, shipping container, component and audit logs until SIGTERM. */
export function agentCommand(): Command {
  return withConfigOptions(new Command('agent'))
    .description(
      'node agent: ship container, component and audit logs; with metrics.enabled, run the metrics collectors',
    )
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper agent -c watchkeeper.yaml
  watchkeeper agent -c watchkeeper.yaml --set logs.sink=elasticsearch --set logs.elasticsearch.url=http://es:9200
  watchkeeper agent -c watchkeeper.yaml --set metrics.enabled=true    also scrape metrics.jobs, expose them at /metrics
  NODE_NAME=$(hostname) watchkeeper agent -c watchkeeper.yaml --set metrics.enabled=true --set metrics.node.enabled=true
                                                      with the built-in node collector as job node
Runs until SIGTERM or SIGINT; then sends what is buffered (within shutdownTimeoutSeconds) and persists checkpoints.
Exit codes: 0 stopped cleanly, 1 failed at run time, 2 bad configuration.`,
    )
    .action(async (options: ConfigOptions) => {
      const config = await configFromOptions(options);
      await runService({
        mode: 'agent',
        config,
        start: async (ctx) => {
          const { startLogAgent } = await import('../../collectors/logs/agent.ts');
          // Only the audit file source and the webhook produce audit events: without them the detector
          // (and its modules, which stay in memory) would watch nothing.
          const auditSources = config.logs.audit.paths.length > 0 || config.logs.auditWebhook.enabled;
          const detecting =
            config.audit.detector.enabled && auditSources
              ? (await import('../audit-shipping.ts')).auditDetectingSink(ctx.registry, ctx.logger)
              : undefined;
          const agent = await startLogAgent({
            config: config.logs,
            kubernetes: config.kubernetes,
            logger: ctx.logger,
            registry: ctx.registry,
            stopTimeoutMs: Math.max(1000, config.shutdownTimeoutSeconds * 1000 - 2000),
            ...(detecting ? { wrapSink: detecting } : {}),
          });
          ctx.lifecycle.add({ name: 'logs', stop: () => agent.stop() });
          ctx.status.addReadiness({
            name: 'logs',
            check: () => {
              const problem = agent.problem();
              if (problem) throw new Error(problem);
              return agent.sources.length > 0 || agent.webhook !== undefined;
            },
          });
          if (config.metrics.enabled) await startMetricsInService(ctx, 'agent');
        },
      });
    });
}
