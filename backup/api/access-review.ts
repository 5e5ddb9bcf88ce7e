import { WatchkeeperError } from '../../core/errors.ts';
import type { KubeClient } from '../../core/kube/client.ts';
import { resourcePath, resources } from '../../core/kube/paths.ts';
import { qualifiedName } from './discovery.ts';

/** One permission a restore needs. */
export interface NeededAccess {
  group: string;
  resource: string;
  /** Target namespace, undefined for cluster-scoped resources. */
  namespace: string | undefined;
  verb: string;
}

interface AccessReview {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/**
 * Asks the API server (SelfSubjectAccessReview) whether the current user may do each of the
 * given things, a few at a time, and throws one error listing every denial, before a restore
 * writes anything. The reviews themselves need no permission beyond being authenticated.
 */
export async function checkAccess(client: KubeClient, needed: readonly NeededAccess[], concurrency = 8): Promise<void> {
  const denied: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < needed.length) {
      const n = needed[next++]!;
      const review = await client.postJson<AccessReview>(resourcePath(resources.selfSubjectAccessReviews), {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            group: n.group,
            resource: n.resource,
            verb: n.verb,
            ...(n.namespace ? { namespace: n.namespace } : {}),
          },
        },
      });
      if (review.status?.allowed !== true) {
        denied.push(
          `${n.verb} ${qualifiedName(n)}${n.namespace ? ` in namespace ${n.namespace}` : ' (cluster-wide)'}${review.status?.reason ? ` (${review.status.reason})` : ''}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, needed.length) }, worker));
  if (denied.length > 0) {
    denied.sort();
    const shown = denied
      .slice(0, 15)
      .map((d) => `  - ${d}`)
      .join('\n');
    throw new WatchkeeperError(
      'failed',
      `the user ${client.access.description} may not restore this backup; nothing was written. Missing permissions:\n${shown}${denied.length > 15 ? `\n  ... and ${denied.length - 15} more` : ''}\nRestore with the restore identity (see docs/backup.md, "API backups").`,
    );
  }
}
