import type { ServiceContext } from '../core/service.ts';

/**
 * Starts the metrics collectors inside a long-running mode (agent, collector): registered with the
 * lifecycle (stopped and flushed on SIGTERM) and with /readyz. Loaded only when used.
 */
export async function startMetricsInService(ctx: ServiceContext): Promise<void> {
  const { startMetricsCollectors } = await import('../collectors/metrics/collectors.ts');
  const { config, logger, registry } = ctx;
  const collectors = await startMetricsCollectors({ config: config.metrics, logger, registry });
  const stopTimeoutMs = Math.max(1000, ctx.config.shutdownTimeoutSeconds * 1000 - 2000);
  ctx.lifecycle.add({ name: 'metrics', stop: () => collectors.stop(AbortSignal.timeout(stopTimeoutMs)) });
  ctx.status.addReadiness({ name: 'metrics', check: () => collectors.engine.ready });
}
