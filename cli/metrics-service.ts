import type { ServiceContext } from '../core/service.ts';

/**
 * Starts the metrics collectors inside a long-running mode (agent, collector): registered with the
 * lifecycle (stopped and flushed on SIGTERM) and with /readyz. Loaded only when used. The API client
 * (kubernetes jobs, sharding, node resources) comes from the `kubernetes` settings, the node name from
 * NODE_NAME (downward API).
 */
export async function startMetricsInService(ctx: ServiceContext, mode: 'agent' | 'collector'): Promise<void> {
  const { startMetricsCollectors } = await import('../collectors/metrics/collectors.ts');
  const { config, logger, registry } = ctx;
  const nodeName = process.env.NODE_NAME || undefined;
  const stopTimeoutMs = Math.max(1000, ctx.config.shutdownTimeoutSeconds * 1000 - 2000);
  const collectors = await startMetricsCollectors({
    config: config.metrics,
    logger,
    registry,
    mode,
    ...(nodeName ? { nodeName } : {}),
    // Leaving the shard group waits for the new plan; what is left of the budget stops the engine and sinks.
    leaveTimeoutMs: Math.max(0, stopTimeoutMs - 3000),
    kubeClient: async () => {
      const { KubeClient, resolveKubeAccess } = await import('../core/kube/index.ts');
      const { kubeconfig, context } = config.kubernetes;
      return new KubeClient(
        await resolveKubeAccess({
          ...(kubeconfig ? { kubeconfig } : {}),
          ...(context ? { context } : {}),
        }),
      );
    },
  });
  ctx.lifecycle.add({ name: 'metrics', stop: () => collectors.stop(AbortSignal.timeout(stopTimeoutMs)) });
  ctx.status.addReadiness({ name: 'metrics', check: () => collectors.engine.ready });
}
