import { resourcePath, resources } from '../../core/kube/paths.ts';
import { proberLabel, runIdLabel } from '../labels.ts';
import type { ProbeContext, ProbeStep } from '../step.ts';

/** Step "namespace": creates the run's ephemeral namespace, labelled as the prober's. */
export const namespaceStep = (timeoutMs: number): ProbeStep => ({
  name: 'namespace',
  timeoutMs,
  async run(ctx: ProbeContext): Promise<string> {
    ctx.measurements.namespaceRequested = true;
    ctx.progress(`creating namespace ${ctx.namespace}`);
    await ctx.client.postJson(resourcePath(resources.namespaces), {
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name: ctx.namespace, labels: { [proberLabel]: 'true', [runIdLabel]: ctx.runId } },
    }, { signal: ctx.signal });
    return ctx.namespace;
  },
});
