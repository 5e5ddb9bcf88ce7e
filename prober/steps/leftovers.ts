import { isStatus } from '../../core/kube/errors.ts';
import { listAll } from '../../core/kube/list.ts';
import { resourcePath, resources } from '../../core/kube/paths.ts';
import { proberLabel } from '../labels.ts';
import type { ProbeContext, ProbeStep } from '../step.ts';
import type { Namespace } from './teardown.ts';

/**
 * Step "leftovers": deletes prober namespaces left behind by crashed runs: labelled as the
 * prober's and named with its prefix (both: a label alone can be put on any namespace by whoever
 * may label it), older than `leftoverMinAgeSeconds`, not this run's and not already being deleted.
 */
export const leftoversStep = (timeoutMs: number): ProbeStep => ({
  name: 'leftovers',
  timeoutMs,
  always: true,
  skip(ctx: ProbeContext): string | undefined {
    return ctx.failedStep === 'api' ? 'the API step failed' : undefined;
  },
  async run(ctx: ProbeContext): Promise<string> {
    const { client, signal } = ctx;
    ctx.progress('listing prober namespaces');
    const { items } = await listAll<Namespace>(client, resourcePath(resources.namespaces), {
      labelSelector: `${proberLabel}=true`,
      signal,
    });
    const minAgeMs = ctx.config.leftoverMinAgeSeconds * 1000;
    const now = Date.now();
    const prefix = `${ctx.config.namespacePrefix}-`;
    const stale = items.filter(
      (ns) =>
        ns.metadata.name !== ctx.namespace &&
        ns.metadata.name?.startsWith(prefix) === true &&
        ns.metadata.deletionTimestamp === undefined &&
        now - Date.parse(ns.metadata.creationTimestamp ?? '') >= minAgeMs,
    );
    const collected: string[] = [];
    for (const ns of stale) {
      ctx.progress(`deleting leftover namespace ${ns.metadata.name}`);
      try {
        await client.deleteJson(resourcePath(resources.namespaces, undefined, ns.metadata.name), {
          signal,
          query: { propagationPolicy: 'Background' },
        });
        collected.push(ns.metadata.name!);
        ctx.measurements.leftoversCollected++;
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
    }
    const terminating = items.filter(
      (ns) =>
        ns.metadata.deletionTimestamp !== undefined &&
        ns.metadata.name !== ctx.namespace &&
        ns.metadata.name?.startsWith(prefix) === true,
    ).length;
    const parts = [collected.length > 0 ? `deleted ${collected.join(', ')}` : 'none to delete'];
    if (terminating > 0) parts.push(`${terminating} still terminating`);
    return parts.join('; ');
  },
});
