import { resourcePath, resources } from '../../core/kube/paths.ts';
import { podSecurityLabels, proberLabel, runIdLabel } from '../labels.ts';
import type { ProbeContext, ProbeStep } from '../step.ts';

/** Step "namespace": creates the run's ephemeral namespace, labelled as the prober's and held to Pod Security "restricted". */
export const namespaceStep = (timeoutMs: number): ProbeStep => ({
  name: 'namespace',
  timeoutMs,
  async run(ctx: ProbeContext): Promise<string> {
    ctx.measurements.namespaceRequested = true;
    ctx.progress(`creating namespace ${ctx.namespace}`);
    await ctx.client.postJson(
      resourcePath(resources.namespaces),
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: ctx.namespace,
          labels: { [proberLabel]: 'true', [runIdLabel]: ctx.runId, ...podSecurityLabels },
        },
      },
      { signal: ctx.signal },
    );
    return ctx.namespace;
  },
});
