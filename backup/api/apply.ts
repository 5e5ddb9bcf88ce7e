import { describeError } from '../../core/errors.ts';
import type { KubeClient, Query } from '../../core/kube/client.ts';
import { isRetryableKubeError, KubeApiError } from '../../core/kube/errors.ts';
import { resourcePath, type ResourceRef } from '../../core/kube/paths.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import { withRetry } from '../../core/retry.ts';
import { qualifiedName } from './discovery.ts';

/** What to do when the object already exists. */
export type ExistingPolicy = 'skip' | 'update' | 'fail';

/** Options of {@link applyObject}. */
export interface ApplyOptions {
  existing: ExistingPolicy;
  dryRun: boolean;
  /** Also write the backed-up status through the status subresource. */
  restoreStatus: boolean;
  status?: unknown;
}

/** Outcome of one write. */
export type ApplyOutcome =
  | { result: 'created' | 'updated'; uid: string | undefined }
  | { result: 'skipped'; reason: string; uid: string | undefined }
  | { result: 'failed'; reason: string; error: KubeApiError | undefined };

/**
 * Creates one object (POST), or when it exists skips it, replaces it (GET then PUT with the live
 * resourceVersion, keeping the fields the server allocated and made immutable) or fails, as
 * `existing` says. With `dryRun` every write carries dryRun=All: admission, quotas and validation
 * answer, nothing is stored. Retryable failures (429, 5xx, unreachable) are retried with backoff.
 */
export async function applyObject(
  client: KubeClient,
  ref: ResourceRef & { group: string },
  object: KubeObject,
  options: ApplyOptions,
): Promise<ApplyOutcome> {
  const namespace = object.metadata.namespace;
  const name = object.metadata.name ?? '';
  const collection = resourcePath(ref, namespace);
  const itemPath = resourcePath(ref, namespace, name);
  const query: Query = { fieldManager: 'watchkeeper-restore', ...(options.dryRun ? { dryRun: 'All' } : {}) };
  const retrying = <T>(op: () => Promise<T>): Promise<T> =>
    withRetry(op, {
      attempts: 4,
      initialDelayMs: 300,
      maxDelayMs: 5_000,
      retryable: isRetryableKubeError,
      retryAfterMs: (e) => (e instanceof KubeApiError ? e.retryAfterMs : undefined),
    });
  try {
    try {
      const created = await retrying(() => client.postJson<KubeObject>(collection, object, { query }));
      await writeStatus(client, itemPath, created, options, query);
      return { result: 'created', uid: options.dryRun ? undefined : created.metadata.uid };
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409 && error.reason === 'AlreadyExists')) throw error;
    }
    if (options.existing === 'fail')
      return { result: 'failed', reason: 'already exists (--existing fail)', error: undefined };
    const live = await retrying(() => client.getJson<KubeObject>(itemPath));
    if (options.existing === 'skip')
      return { result: 'skipped', reason: 'already exists (--existing skip)', uid: live.metadata.uid };
    const replacement = keepAllocatedFields(ref, object, live);
    replacement.metadata.resourceVersion = live.metadata.resourceVersion;
    const updated = await retrying(() => client.putJson<KubeObject>(itemPath, replacement, { query }));
    await writeStatus(client, itemPath, updated, options, query);
    return { result: 'updated', uid: live.metadata.uid };
  } catch (error) {
    if (error instanceof KubeApiError)
      return { result: 'failed', reason: `${error.status} ${error.reason}: ${error.apiMessage}`, error };
    return { result: 'failed', reason: describeError(error), error: undefined };
  }
}

async function writeStatus(
  client: KubeClient,
  itemPath: string,
  written: KubeObject,
  options: ApplyOptions,
  query: Query,
): Promise<void> {
  if (!options.restoreStatus || options.status === undefined) return;
  await client.putJson(`${itemPath}/status`, { ...written, status: options.status }, { query });
}

/**
 * The desired object with the fields the server allocated on the live one and does not let
 * change (a Service's cluster IPs, a Job's generated selector and its template labels).
 */
function keepAllocatedFields(
  ref: { group: string; resource: string },
  desired: KubeObject,
  live: KubeObject,
): KubeObject {
  const result = structuredClone(desired);
  const spec = result.spec as Record<string, unknown> | undefined;
  const liveSpec = live.spec as Record<string, unknown> | undefined;
  if (!spec || !liveSpec) return result;
  const kind = qualifiedName(ref);
  if (kind === 'services') {
    if (liveSpec.clusterIP !== undefined) spec.clusterIP = liveSpec.clusterIP;
    if (liveSpec.clusterIPs !== undefined) spec.clusterIPs = liveSpec.clusterIPs;
  }
  if (kind === 'jobs.batch') {
    spec.selector = liveSpec.selector;
    spec.template = {
      ...(spec.template as object),
      metadata: (liveSpec.template as { metadata?: unknown } | undefined)?.metadata,
    };
  }
  return result;
}
