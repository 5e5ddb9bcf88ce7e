import { isStatus } from '../../core/kube/errors.ts';
import { resourcePath, resources } from '../../core/kube/paths.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import { ProbeFailure, type ProbeContext, type ProbeStep } from '../step.ts';
import { seconds, waitFor } from '../wait.ts';

/** The fields of a namespace the prober reads. */
export interface Namespace extends KubeObject {
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/**
 * Step "teardown", run even after a failure or timeout: deletes the run's namespace and waits until
 * it is gone. Namespace deletion is done by kube-controller-manager's namespace controller, so a
 * namespace stuck in Terminating points there.
 */
export const teardownStep = (timeoutMs: number): ProbeStep => ({
  name: 'teardown',
  timeoutMs,
  always: true,
  skip(ctx: ProbeContext): string | undefined {
    return ctx.measurements.namespaceRequested ? undefined : 'no namespace was created';
  },
  async run(ctx: ProbeContext): Promise<string> {
    const { client, signal } = ctx;
    const path = resourcePath(resources.namespaces, undefined, ctx.namespace);
    const what = `namespace ${ctx.namespace}`;
    ctx.progress(`deleting ${what}`);
    try {
      await client.deleteJson(path, { signal, query: { propagationPolicy: 'Background' } });
    } catch (error) {
      if (isStatus(error, 404)) return `${what} did not exist`;
      throw error;
    }
    if (ctx.stopping) return `${what} deletion requested (stopping: not waiting)`;
    ctx.progress(`waiting for ${what} to be gone`);
    let last: Namespace | undefined;
    const gone = await waitFor(
      signal,
      async () => {
        try {
          last = await client.getJson<Namespace>(path, { signal });
          return undefined;
        } catch (error) {
          if (isStatus(error, 404)) return true;
          throw error;
        }
      },
      500,
    );
    if (!gone) throw new ProbeFailure(stuck(what, last, timeoutMs));
    return `${what} deleted`;
  },
});

function stuck(what: string, ns: Namespace | undefined, timeoutMs: number): string {
  const phase = ns?.status?.phase ?? 'unknown';
  const problems = (ns?.status?.conditions ?? [])
    .filter((c) => c.status === 'True')
    .map((c) => `${c.type}: ${c.message ?? c.reason ?? ''}`);
  if (problems.length > 0) return `${what}: still ${phase} after ${seconds(timeoutMs)}; ${problems.join('; ')}`;
  return `${what}: still ${phase} after ${seconds(timeoutMs)}, and the namespace controller reported no progress (is kube-controller-manager running?)`;
}
