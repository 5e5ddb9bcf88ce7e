import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import { WatchkeeperError, describeError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { KubeClient } from '../../core/kube/client.ts';
import { isStatus } from '../../core/kube/errors.ts';
import { resourcePath } from '../../core/kube/paths.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import { sleep } from '../../core/retry.ts';
import type { Manifest } from '../manifest.ts';
import { originOf } from '../origin.ts';
import { newBackupId, objectKey, restoreReportFile, type LayoutRoot } from '../storage/layout.ts';
import type { ObjectStorage } from '../storage/types.ts';
import { checkAccess, type NeededAccess } from './access-review.ts';
import { applyObject, type ExistingPolicy } from './apply.ts';
import { readVerifiedArchive } from './archive-reader.ts';
import { qualifiedName } from './discovery.ts';
import type { EntryRef } from './entry-path.ts';
import type { ApiBackupMetrics } from './metrics.ts';
import { backupIdLabel, notRestorableReason, restoreIdLabel } from './policy.ts';
import { References, referencedKinds } from './references.ts';
import { RestoreReport, type ReportRow, type ReportSummary } from './restore-report.ts';
import { restoreLevel, restoreLevels } from './restore-order.ts';
import { Selection } from './selection.ts';
import { LevelSpool, type SpooledObject } from './spool.ts';
import { prepareForRestore } from './transform.ts';

/** Restore-time filters: which objects of the backup to restore. */
export interface RestoreFilters {
  /** Label selectors, ORed; none restores every object. */
  selectors: string[];
  /** Namespaces (as in the backup), globs. */
  includeNamespaces: string[];
  excludeNamespaces: string[];
  /** Resources ("deployments", "deployments.apps"), globs. */
  includeResources: string[];
  excludeResources: string[];
  /** Object names, globs. */
  names: string[];
}

/** Options of {@link restoreApiBackup}. */
export interface ApiRestoreOptions {
  storage: ObjectStorage;
  root: LayoutRoot;
  client: KubeClient;
  /** Read with the key (readManifest): with a key, authenticated unless `allowUnauthenticated`. */
  manifest: Manifest;
  key: Buffer | undefined;
  /** With a key, still restore a backup whose manifest is not authenticated; said in the warnings. */
  allowUnauthenticated?: boolean | undefined;
  /** Aborts the restore (SIGINT/SIGTERM): no further object is written and the work files are removed. */
  signal?: AbortSignal | undefined;
  filters: RestoreFilters;
  namespaceMap: ReadonlyMap<string, string>;
  existing: ExistingPolicy;
  dryRun: boolean;
  restoreStatus: boolean;
  keepManagedFields: boolean;
  /** Objects written at the same time within a level. */
  concurrency: number;
  /** How long to wait for each restored CRD to be Established; default 60 s. */
  crdTimeoutMs?: number;
  /** Where temporary files go; default the system temp dir. */
  workDir?: string | undefined;
  logger: Logger;
  metrics?: ApiBackupMetrics | undefined;
  onProgress?: (phase: 'verify' | 'apply', done: number, total: number) => void;
  now?: () => Date;
}

/** What a restore did. */
export interface ApiRestoreResult {
  summary: ReportSummary;
  /** The per-object report (read its rows before {@link ApiRestoreResult.dispose}). */
  report: RestoreReport;
  /** Where the report was stored beside the backup. */
  reportKey: string;
  /** Whether the manifest was authenticated with the configured key (see backup/origin.ts). */
  originVerified: boolean;
  /** What the user must know, e.g. that the backup's origin cannot be verified. */
  warnings: string[];
  /** Removes the local work files. */
  dispose(): Promise<void>;
}

const crdResource = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };

/**
 * Restores an API backup: reads and verifies the whole archive first (into a private spool, one
 * file per restore level; nothing is written to the cluster before every hash matched), checks
 * with SelfSubjectAccessReviews that the user may write everything planned, then applies level by
 * level (CRDs first, waiting until Established; custom objects last), `concurrency` objects at a
 * time within a level. Objects whose owner the restore recreates are skipped (the owner's
 * controller makes them again), as are objects the cluster owns. Every object gets a report row;
 * the report is stored beside the backup.
 */
export async function restoreApiBackup(options: ApiRestoreOptions): Promise<ApiRestoreResult> {
  const { manifest, client, logger } = options;
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const restoreId = newBackupId('restore', startedAt);
  const selection = new Selection({ ...options.filters, clusterResources: 'all' });
  const names = options.filters.names.length > 0 ? picomatch(options.filters.names, { dot: true }) : undefined;
  const namespaceFiltered =
    options.filters.includeNamespaces.length > 0 ||
    options.filters.excludeNamespaces.length > 0 ||
    options.filters.selectors.length > 0;
  const log = logger.child({ restore: restoreId, backup: manifest.id });
  if (options.key !== undefined && manifest.authentication === undefined && options.allowUnauthenticated !== true) {
    throw new WatchkeeperError(
      'integrity',
      `backup ${manifest.id} is not authenticated: refused while a backup key is configured`,
    );
  }
  const { originVerified, warnings } = originOf(manifest, options.key, options.storage.location);
  for (const warning of warnings) log.warn(warning);
  const { signal } = options;
  throwIfAborted(signal);
  // mkdtemp makes the directory 0700; the files in it (index, spool, report) are 0600.
  const work = await mkdtemp(path.join(options.workDir ?? tmpdir(), 'watchkeeper-restore-'));
  const dispose = (): Promise<void> => rm(work, { recursive: true, force: true });
  try {
    const spool = new LevelSpool(work);
    const uids = new Set<string>();
    const references = new References();
    const targetNamespaces = new Set<string>();
    const namespacesInRestore = new Set<string>();
    const crdNames = new Set<string>();
    const mapNs = (ns: string): string => options.namespaceMap.get(ns) ?? ns;

    // 1. Verify everything; plan while reading (filters, levels), writing only to the private spool.
    await readVerifiedArchive({
      storage: options.storage,
      root: options.root,
      manifest,
      key: options.key,
      workDir: work,
      allowUnauthenticated: options.allowUnauthenticated,
      signal,
      onProgress: (bytes, total) => options.onProgress?.('verify', bytes, total),
      onObject: async (ref, body) => {
        const object = parseObject(ref, body, manifest.id);
        if (!selection.resourceAllowed(ref) || (names && !names(ref.name))) return;
        if (ref.namespace !== undefined) {
          if (!selection.namespacedSelected(object)) return;
          references.collect(ref, object, 'referenced');
          targetNamespaces.add(mapNs(ref.namespace));
        } else if (referencedKinds.has(qualifiedName(ref))) {
          const ok =
            qualifiedName(ref) === 'namespaces'
              ? selection.namespaceAllowed(ref.name) &&
                (!namespaceFiltered || references.has(ref, ref.name) || selection.labelsMatch(object))
              : !namespaceFiltered || references.has(ref, ref.name);
          if (!ok) return;
        } else if (namespaceFiltered && !selection.labelsMatch(object)) {
          return;
        }
        if (object.metadata.uid) uids.add(object.metadata.uid);
        if (qualifiedName(ref) === 'namespaces') namespacesInRestore.add(mapNs(ref.name));
        if (qualifiedName(ref) === 'customresourcedefinitions.apiextensions.k8s.io') crdNames.add(ref.name);
        await spool.add(restoreLevel(ref), { ref, object });
      },
    });
    await spool.close();
    const total = [...spool.counts.values()].reduce((a, b) => a + b, 0);
    log.info({ objects: total }, 'Backup verified; restore planned.');

    // 2. Permissions, before any write.
    throwIfAborted(signal);
    await checkAccess(client, await neededAccess(spool, options, mapNs, crdNames.size > 0, targetNamespaces));

    // 3. Apply level by level.
    const report = new RestoreReport(path.join(work, 'report.jsonl'));
    const newUids = new Map<string, string>();
    let done = 0;
    const record = async (row: ReportRow): Promise<void> => {
      await report.add(row);
      options.metrics?.restored.inc({ resource: row.resource, result: row.result });
      options.onProgress?.('apply', ++done, total);
    };
    for (let level = 0; level < restoreLevels.length; level++) {
      const crdsWritten: string[] = [];
      await inParallel(spool.read(level), options.concurrency, async (item) => {
        throwIfAborted(signal);
        const row = await restoreOne(item, {
          ...options,
          restoreId,
          uids,
          newUids,
          crdNames,
          namespacesInRestore,
          mapNs,
        });
        if (row.result !== 'failed' && qualifiedName(item.ref) === 'customresourcedefinitions.apiextensions.k8s.io')
          crdsWritten.push(item.ref.name);
        await record(row);
      });
      if (level === 1) {
        // Namespaces the restored objects need but the backup does not hold (e.g. a mapped namespace).
        for (const ns of targetNamespaces) {
          if (namespacesInRestore.has(ns)) continue;
          const outcome = await applyObject(
            client,
            { group: '', version: 'v1', resource: 'namespaces' },
            {
              apiVersion: 'v1',
              kind: 'Namespace',
              metadata: { name: ns, labels: { [backupIdLabel]: manifest.id, [restoreIdLabel]: restoreId } },
            },
            { existing: 'skip', dryRun: options.dryRun, restoreStatus: false },
          );
          if (outcome.result === 'skipped') continue; // it exists: nothing to report
          namespacesInRestore.add(ns);
          await report.add({
            resource: 'namespaces',
            name: ns,
            result: outcome.result,
            reason: outcome.result === 'failed' ? outcome.reason : 'namespace of restored objects, not in the backup',
          });
        }
      }
      if (level === 0 && !options.dryRun) {
        for (const name of crdsWritten) {
          const established = await waitEstablished(client, name, options.crdTimeoutMs ?? 60_000);
          if (!established)
            await report.add({
              resource: 'customresourcedefinitions.apiextensions.k8s.io',
              name,
              result: 'failed',
              reason: 'not Established in time: its custom objects will fail',
            });
        }
      }
    }
    const summary: ReportSummary = {
      restoreId,
      backupId: manifest.id,
      dryRun: options.dryRun,
      startedAt: startedAt.toISOString(),
      completedAt: now().toISOString(),
      counts: report.counts,
    };
    await report.close(summary);
    const reportKey = objectKey(options.root, 'api', manifest.id, restoreReportFile(restoreId));
    try {
      await report.store(options.storage, reportKey);
    } catch (error) {
      log.error(
        { err: error, error: describeError(error), key: reportKey },
        'The restore report could not be stored beside the backup.',
      );
      throw new WatchkeeperError(
        'storage_failed',
        `the restore ran (${summary.counts.failed} failed) but its report could not be stored at ${reportKey}: ${describeError(error)}`,
        { cause: error },
      );
    }
    options.metrics?.restoreDuration.set((now().getTime() - startedAt.getTime()) / 1000);
    log.info({ ...summary.counts, dryRun: options.dryRun }, 'Restore finished.');
    return { summary, report, reportKey, originVerified, warnings, dispose };
  } catch (error) {
    await dispose();
    if (signal?.aborted) {
      throw new WatchkeeperError(
        'failed',
        `the restore was interrupted; its work files (decrypted objects) in ${work} were removed` +
          ' (objects written before the interrupt stay, labelled with the restore id)',
        { cause: error },
      );
    }
    throw error;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new WatchkeeperError('failed', 'interrupted');
}

interface RestoreContext extends ApiRestoreOptions {
  restoreId: string;
  uids: ReadonlySet<string>;
  newUids: Map<string, string>;
  crdNames: ReadonlySet<string>;
  namespacesInRestore: ReadonlySet<string>;
  mapNs: (ns: string) => string;
}

async function restoreOne(item: SpooledObject, ctx: RestoreContext): Promise<ReportRow> {
  const { ref, object } = item;
  const resource = qualifiedName(ref);
  const base = {
    resource,
    name: ref.name,
    ...(ref.namespace !== undefined ? { namespace: ctx.mapNs(ref.namespace) } : {}),
  };
  const notRestorable = notRestorableReason(ref, object);
  if (notRestorable)
    return {
      ...base,
      name: qualifiedName(ref) === 'namespaces' ? ctx.mapNs(ref.name) : ref.name,
      result: 'skipped',
      reason: `recorded only: ${notRestorable}`,
    };
  const controller = object.metadata.ownerReferences?.find((o) => o.controller === true && ctx.uids.has(o.uid));
  if (controller)
    return {
      ...base,
      result: 'skipped',
      reason: `its owner ${controller.kind}/${controller.name} is restored and recreates it`,
    };
  const { object: prepared, droppedOwners } = prepareForRestore(ref, object, {
    namespaceMap: ctx.namespaceMap,
    backupId: ctx.manifest.id,
    restoreId: ctx.restoreId,
    keepManagedFields: ctx.keepManagedFields,
    keepStatus: false,
    ownerUid: (uid) => ctx.newUids.get(uid),
  });
  const row = { ...base, name: prepared.metadata.name ?? ref.name };
  const outcome = await applyObject(ctx.client, ref, prepared, {
    existing: ctx.existing,
    dryRun: ctx.dryRun,
    restoreStatus: ctx.restoreStatus,
    status: object.status,
  });
  if (outcome.result === 'failed') {
    if (ctx.dryRun && isStatus(outcome.error, 404)) {
      const crd = `${ref.resource}.${ref.group}`;
      if (ctx.crdNames.has(crd))
        return {
          ...row,
          result: 'skipped',
          reason: `dry run: its CRD ${crd} is created by this restore first, so the server cannot check it now`,
        };
      if (prepared.metadata.namespace && ctx.namespacesInRestore.has(prepared.metadata.namespace)) {
        return {
          ...row,
          result: 'skipped',
          reason: `dry run: namespace ${prepared.metadata.namespace} is created by this restore first, so the server cannot check it now`,
        };
      }
    }
    return { ...row, result: 'failed', reason: outcome.reason };
  }
  if (outcome.uid && object.metadata.uid) ctx.newUids.set(object.metadata.uid, outcome.uid);
  const notes = [
    outcome.result === 'skipped' ? outcome.reason : '',
    droppedOwners > 0 ? `${droppedOwners} ownerReference(s) to objects not restored dropped` : '',
  ].filter((n) => n !== '');
  return { ...row, result: outcome.result, ...(notes.length > 0 ? { reason: notes.join('; ') } : {}) };
}

function parseObject(ref: EntryRef, body: Buffer, id: string): KubeObject {
  let object: KubeObject;
  try {
    object = JSON.parse(body.toString('utf8')) as KubeObject;
  } catch {
    throw new WatchkeeperError('integrity', `backup ${id}: object ${ref.name} is not valid JSON`);
  }
  if (
    typeof object !== 'object' ||
    object === null ||
    typeof object.metadata !== 'object' ||
    object.metadata.name !== ref.name ||
    (object.metadata.namespace ?? undefined) !== ref.namespace
  ) {
    throw new WatchkeeperError(
      'integrity',
      `backup ${id}: the object stored as ${ref.namespace ?? '(cluster)'}/${ref.name} names another object`,
    );
  }
  return object;
}

/** Every (resource, namespace, verb) the planned restore needs, deduplicated. */
async function neededAccess(
  spool: LevelSpool,
  options: ApiRestoreOptions,
  mapNs: (ns: string) => string,
  hasCrds: boolean,
  targetNamespaces: ReadonlySet<string>,
): Promise<NeededAccess[]> {
  const verbs = [
    'create',
    'get',
    ...(options.existing === 'update' ? ['update'] : []),
    ...(options.restoreStatus ? ['update'] : []),
  ];
  const seen = new Map<string, NeededAccess>();
  const need = (n: NeededAccess): void => {
    seen.set(`${n.group}|${n.resource}|${n.namespace ?? ''}|${n.verb}`, n);
  };
  for (let level = 0; level < restoreLevels.length; level++) {
    for await (const { ref } of spool.read(level)) {
      for (const verb of verbs)
        need({
          group: ref.group,
          resource: ref.resource,
          namespace: ref.namespace === undefined ? undefined : mapNs(ref.namespace),
          verb,
        });
    }
  }
  if (targetNamespaces.size > 0)
    for (const verb of ['create', 'get']) need({ group: '', resource: 'namespaces', namespace: undefined, verb });
  if (hasCrds) need({ group: crdResource.group, resource: crdResource.resource, namespace: undefined, verb: 'get' });
  return [...seen.values()];
}

async function waitEstablished(client: KubeClient, name: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const crd = await client.getJson<{ status?: { conditions?: { type: string; status: string }[] } }>(
        resourcePath(crdResource, undefined, name),
      );
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return true;
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

/** Runs `task` for each item of an async iterable, at most `limit` at once. */
async function inParallel<T>(items: AsyncIterable<T>, limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.asyncIterator]();
  const worker = async (): Promise<void> => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      await task(next.value);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
