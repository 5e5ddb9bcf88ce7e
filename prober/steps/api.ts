import { KubeApiError } from '../../core/kube/errors.ts';
import { resourcePath, resources } from '../../core/kube/paths.ts';
import { ProbeFailure, type ProbeContext, type ProbeStep } from '../step.ts';

/** One permission the probe needs, and the step that needs it. */
export interface NeededPermission {
  verb: string;
  group: string;
  resource: string;
  step: string;
}

/** Every permission a probe run uses (cluster-wide: its namespace does not exist yet). */
export const neededPermissions: readonly NeededPermission[] = [
  ...['create', 'get', 'list', 'delete'].map((verb) => ({
    verb,
    group: '',
    resource: 'namespaces',
    step: 'namespace/teardown/leftovers',
  })),
  ...['create', 'get', 'update', 'delete', 'list', 'watch'].map((verb) => ({
    verb,
    group: '',
    resource: 'configmaps',
    step: 'write',
  })),
  ...['create', 'get', 'patch'].map((verb) => ({ verb, group: 'apps', resource: 'deployments', step: 'workload' })),
  ...['list'].map((verb) => ({ verb, group: 'apps', resource: 'replicasets', step: 'workload' })),
  ...['list', 'watch'].map((verb) => ({ verb, group: '', resource: 'pods', step: 'workload' })),
  ...['create', 'get'].map((verb) => ({ verb, group: '', resource: 'services', step: 'service' })),
  ...['list'].map((verb) => ({ verb, group: 'discovery.k8s.io', resource: 'endpointslices', step: 'service' })),
];

interface AccessReview {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/** Step "api": the API server is ready, tells its version, and lets the prober do what the run needs. */
export const apiStep = (timeoutMs: number): ProbeStep => ({
  name: 'api',
  timeoutMs,
  async run(ctx: ProbeContext): Promise<string> {
    const { client, signal } = ctx;
    ctx.progress('GET /readyz');
    const ready = await client.request('GET', '/readyz', { query: { verbose: true }, signal, acceptErrorStatus: true });
    if (ready.status !== 200) {
      const failing = ready.body
        .toString('utf8')
        .split('\n')
        .filter((l) => l.startsWith('[-]'))
        .map((l) => l.slice(3).replace(/ failed: reason withheld$/, ''));
      throw new ProbeFailure(
        `API server not ready: GET /readyz answered ${ready.status}${failing.length > 0 ? `; failing checks: ${failing.join(', ')}` : `: ${ready.body.toString('utf8', 0, 200).trim()}`}`,
      );
    }
    ctx.progress('GET /version');
    const version = await client.getJson<{ gitVersion?: string }>('/version', { signal });
    ctx.progress('SelfSubjectAccessReviews');
    const missing = await missingPermissions(ctx);
    if (missing.length > 0)
      throw new ProbeFailure(`the prober's identity lacks cluster-wide permissions: ${missing.join('; ')}`);
    return `server ${version.gitVersion ?? 'unknown version'}, ${neededPermissions.length} permissions granted`;
  },
});

async function missingPermissions(ctx: ProbeContext): Promise<string[]> {
  const denied = await Promise.all(
    neededPermissions.map(async (p) => {
      try {
        const review = await ctx.client.postJson<AccessReview>(
          resourcePath(resources.selfSubjectAccessReviews),
          {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { verb: p.verb, group: p.group, resource: p.resource } },
          },
          { signal: ctx.signal },
        );
        return review.status?.allowed === true ? undefined : p;
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 403) {
          throw new ProbeFailure(
            `the prober's identity cannot create selfsubjectaccessreviews.authorization.k8s.io, so its permissions cannot be checked: ${error.apiMessage}`,
          );
        }
        throw error;
      }
    }),
  );
  return describeMissing(denied.filter((p): p is NeededPermission => p !== undefined));
}

/** Groups missing permissions by resource: "cannot create, delete namespaces (steps namespace/teardown/leftovers)". */
export function describeMissing(missing: readonly NeededPermission[]): string[] {
  const byResource = new Map<string, { verbs: string[]; step: string }>();
  for (const p of missing) {
    const resource = p.group ? `${p.resource}.${p.group}` : p.resource;
    const entry = byResource.get(resource) ?? { verbs: [], step: p.step };
    entry.verbs.push(p.verb);
    byResource.set(resource, entry);
  }
  return [...byResource.entries()].map(
    ([resource, { verbs, step }]) => `cannot ${verbs.join(', ')} ${resource} (step ${step})`,
  );
}
