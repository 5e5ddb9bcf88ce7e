import type { Logger } from '../../core/log.ts';
import { WatchkeeperError, describeError } from '../../core/errors.ts';
import type { KubeClient } from '../../core/kube/client.ts';
import { isRetryableKubeError, isStatus, KubeApiError } from '../../core/kube/errors.ts';
import { listPages } from '../../core/kube/list.ts';
import { resourcePath } from '../../core/kube/paths.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import { withRetry } from '../../core/retry.ts';
import { buildInfo } from '../../core/version.ts';
import { manifestFormatVersion, writeManifest, type Manifest } from '../manifest.ts';
import { newBackupId, type LayoutRoot } from '../storage/layout.ts';
import type { ObjectStorage } from '../storage/types.ts';
import { ApiArchiveWriter } from './archive-writer.ts';
import type { ApiBackupConfig } from './config.ts';
import { apiVersionOf, discoverResources, qualifiedName, type ApiResource } from './discovery.ts';
import { entryPath } from './entry-path.ts';
import type { ApiInfo, ResourceInfo } from './manifest-info.ts';
import { excludeLabel, isNeverBackedUp } from './policy.ts';
import { References, referencedKinds } from './references.ts';
import { Selection, selectionSpecOf } from './selection.ts';

/** Counters a caller may want (metrics): objects per resource, errors by reason. */
export interface ApiBackupObserver {
  onObjects?(resource: string, count: number): void;
  onError?(reason: string): void;
}

/** Options of {@link runApiBackup}. */
export interface ApiBackupOptions {
  storage: ObjectStorage;
  root: LayoutRoot;
  client: KubeClient;
  /** Backup name (schedule name, or "manual"). */
  name: string;
  api: ApiBackupConfig;
  encryptionKey?: Buffer | undefined;
  logger: Logger;
  /** Aborts the run: uploads are aborted, what was stored is deleted, no manifest is written. */
  signal?: AbortSignal | undefined;
  observer?: ApiBackupObserver;
  /** Called after each stored object with the running total. */
  onProgress?: (objects: number) => void;
  now?: () => Date;
}

/**
 * Takes one API backup: discovery (fresh), then a paged LIST of every selected resource
 * (`api.concurrency` at a time), each selected object streamed into the archive as its page
 * arrives, then the cluster-scoped objects the selected ones reference, then the manifest.
 * Memory holds a page per lister and the names of referenced cluster objects, never the
 * objects themselves. On any failure what was stored is deleted and no manifest is written.
 */
export async function runApiBackup(options: ApiBackupOptions): Promise<Manifest> {
  const { client, api, logger, signal, observer } = options;
  const now = options.now ?? (() => new Date());
  const selection = new Selection(selectionSpecOf(api));
  const startedAt = now();
  const id = newBackupId(options.name, startedAt);
  const log = logger.child({ backup: id });
  if (signal?.aborted) throw abortedError(signal);

  const versionResponse = await client.request('GET', '/version', { signal });
  const clusterVersion =
    (JSON.parse(versionResponse.body.toString('utf8')) as { gitVersion?: string }).gitVersion ?? 'unknown';
  const serverDate = versionResponse.headers.date;
  const serverTime = serverDate ? new Date(serverDate).toISOString() : startedAt.toISOString();
  const discovery = await discoverResources(client, { signal });
  const missing: ApiInfo['missing'] = discovery.failures.map((f) => ({
    what: `${f.group}/${f.version}`,
    reason: `discovery failed: ${f.reason}`,
  }));
  for (const f of discovery.failures) {
    observer?.onError?.('discovery_failed');
    log.warn(
      { group: f.group, version: f.version, reason: f.reason },
      'An API group could not be discovered: its objects are missing from this backup.',
    );
  }
  const candidates = discovery.resources.filter((r) => !isNeverBackedUp(r) && selection.listed(r));
  const namespaced = candidates.filter((r) => r.namespaced);
  const clusterWide = candidates.filter((r) => !r.namespaced && !referencedKinds.has(qualifiedName(r)));
  const referencedTargets = candidates.filter((r) => !r.namespaced && referencedKinds.has(qualifiedName(r)));

  const writer = new ApiArchiveWriter({
    storage: options.storage,
    root: options.root,
    id,
    compression: api.compression,
    encryptionKey: options.encryptionKey,
    mtime: startedAt,
    signal,
    logger: log,
  });
  const references = new References();
  const infos: ResourceInfo[] = [];
  let secretsIncluded = false;
  try {
    const backupResource = async (resource: ApiResource, keep: (object: KubeObject) => boolean): Promise<void> => {
      const info: ResourceInfo = {
        group: resource.group,
        version: resource.version,
        resource: resource.resource,
        kind: resource.kind,
        namespaced: resource.namespaced,
        resourceVersion: '',
        count: 0,
        namespaces: {},
      };
      try {
        await withRetry(
          async () => {
            // Retried only before the first object is stored (see retryable); an expired continue token
            // (maxRestarts 0) fails the backup rather than storing objects twice.
            info.count = 0;
            info.namespaces = {};
            for await (const page of listPages(client, resourcePath(resource), {
              limit: api.pageSize,
              labelSelector: labelSelectorFor(resource, selection),
              signal,
              maxRestarts: 0,
            })) {
              info.resourceVersion = page.resourceVersion;
              for (const object of page.items) {
                if (!keep(object)) continue;
                const name = object.metadata.name ?? '';
                const ns = resource.namespaced ? object.metadata.namespace : undefined;
                const path = entryPath({
                  group: resource.group,
                  version: resource.version,
                  resource: resource.resource,
                  namespace: ns,
                  name,
                });
                object.apiVersion = apiVersionOf(resource);
                object.kind = resource.kind;
                await writer.add(path, Buffer.from(JSON.stringify(object)));
                if (!secretsIncluded && resource.group === '' && resource.resource === 'secrets') {
                  secretsIncluded = true;
                  if (!options.encryptionKey) {
                    log.warn(
                      'SECRETS ARE INCLUDED IN THIS API BACKUP WITHOUT ENCRYPTION: anyone who can read the storage can read them. Enable backup.encryption, or exclude secrets (excludeResources: [secrets]).',
                    );
                  }
                }
                info.count++;
                if (ns !== undefined) info.namespaces[ns] = (info.namespaces[ns] ?? 0) + 1;
                references.collect(resource, object, selection.spec.clusterResources);
                options.onProgress?.(writer.entries);
              }
            }
          },
          {
            attempts: 4,
            initialDelayMs: 500,
            maxDelayMs: 10_000,
            signal,
            retryable: (error) => info.count === 0 && isRetryableKubeError(error),
            retryAfterMs: (error) => (error instanceof KubeApiError ? error.retryAfterMs : undefined),
            onRetry: (error, attempt) =>
              log.warn(
                { resource: qualifiedName(resource), attempt, err: error, error: describeError(error) },
                'LIST failed; retrying.',
              ),
          },
        );
      } catch (error) {
        if (signal?.aborted) throw error;
        if (isStatus(error, 404) && info.count === 0) {
          // The resource went away between discovery and its LIST (a CRD deleted meanwhile).
          missing.push({ what: qualifiedName(resource), reason: 'not found when listed (deleted after discovery)' });
          observer?.onError?.('vanished');
          log.warn({ resource: qualifiedName(resource) }, 'A resource vanished after discovery; recorded as missing.');
          return;
        }
        observer?.onError?.(error instanceof KubeApiError ? `list_${error.reason.toLowerCase()}` : 'list_failed');
        throw new WatchkeeperError('failed', `listing ${qualifiedName(resource)} failed: ${describeError(error)}`, {
          cause: error,
        });
      }
      observer?.onObjects?.(qualifiedName(resource), info.count);
      infos.push(info);
    };

    await inParallel(namespaced, api.concurrency, (r) => backupResource(r, (o) => selection.namespacedSelected(o)));
    const all = selection.spec.clusterResources === 'all';
    if (all) await inParallel(clusterWide, api.concurrency, (r) => backupResource(r, (o) => selection.labelsMatch(o)));
    await inParallel(referencedTargets, api.concurrency, (r) =>
      backupResource(r, (o) => {
        if (o.metadata.labels?.[excludeLabel] === 'true') return false;
        if (qualifiedName(r) === 'namespaces' && !selection.namespaceAllowed(o.metadata.name ?? '')) return false;
        return references.has(r, o.metadata.name ?? '') || (all && selection.labelsMatch(o));
      }),
    );

    const objects = await writer.finish();
    infos.sort((a, b) => a.group.localeCompare(b.group) || a.resource.localeCompare(b.resource));
    const manifest: Manifest = {
      formatVersion: manifestFormatVersion,
      id,
      name: options.name,
      kind: 'api',
      cluster: options.root.cluster,
      startedAt: startedAt.toISOString(),
      completedAt: now().toISOString(),
      watchkeeperVersion: buildInfo.version,
      objects,
      api: {
        clusterVersion,
        serverTime,
        selection: selection.spec,
        objectCount: infos.reduce((n, i) => n + i.count, 0),
        secretsIncluded,
        resources: infos,
        missing,
      },
    };
    if (signal?.aborted) throw abortedError(signal);
    // With encryption the manifest is authenticated by the same key: restores refuse anything else.
    const written = await writeManifest(options.storage, options.root, manifest, options.encryptionKey);
    log.info(
      { objects: manifest.api!.objectCount, bytes: objects.reduce((n, o) => n + o.size, 0), missing: missing.length },
      'API backup stored.',
    );
    return written;
  } catch (error) {
    await writer.abort(error instanceof Error ? error : new Error(String(error)));
    throw signal?.aborted ? abortedError(signal, error) : error;
  }
}

/** The server-side label selector of one LIST: cluster objects listed for references get only the exclude label. */
function labelSelectorFor(resource: ApiResource, selection: Selection): string | undefined {
  if (!resource.namespaced && referencedKinds.has(qualifiedName(resource))) return undefined;
  return selection.serverSelector();
}

/** Runs `task` for every item, at most `limit` at once; the first failure stops new tasks and is thrown. */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function abortedError(signal: AbortSignal, cause?: unknown): WatchkeeperError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new WatchkeeperError('failed', `the backup was aborted (${reason}); what it had stored was removed`, {
    cause: cause ?? signal.reason,
  });
}
