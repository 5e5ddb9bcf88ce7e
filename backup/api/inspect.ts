import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WatchkeeperError } from '../../core/errors.ts';
import type { KubeClient } from '../../core/kube/client.ts';
import { listPages } from '../../core/kube/list.ts';
import { resourcePath } from '../../core/kube/paths.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import type { Manifest } from '../manifest.ts';
import type { LayoutRoot } from '../storage/layout.ts';
import type { ObjectStorage } from '../storage/types.ts';
import { readVerifiedArchive } from './archive-reader.ts';
import { qualifiedName } from './discovery.ts';
import type { EntryRef } from './entry-path.ts';
import { objectDigest } from './object-digest.ts';
import { referencedKinds } from './references.ts';
import { Selection } from './selection.ts';

/** Where a backup is read from. */
export interface BackupSource {
  storage: ObjectStorage;
  root: LayoutRoot;
  manifest: Manifest;
  key: Buffer | undefined;
  workDir?: string | undefined;
}

/** Reads every object of a verified backup; the callback's results count only if this resolves. */
export async function forEachBackedUpObject(
  source: BackupSource,
  onObject: (ref: EntryRef, object: KubeObject) => void,
): Promise<void> {
  const work = await mkdtemp(path.join(source.workDir ?? tmpdir(), 'watchkeeper-read-'));
  try {
    await readVerifiedArchive({
      ...source,
      workDir: work,
      onObject: (ref, body) => {
        onObject(ref, JSON.parse(body.toString('utf8')) as KubeObject);
      },
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Finds one object in a backup ("deployments", "deployments.apps" or the kind, plus name and
 * namespace); the whole archive is verified before it is returned. Throws not_found naming what
 * the backup holds of that resource when it is absent.
 */
export async function showObject(
  source: BackupSource,
  resource: string,
  name: string,
  namespace: string | undefined,
): Promise<KubeObject> {
  const wanted = resource.toLowerCase();
  const resources =
    source.manifest.api?.resources.filter(
      (r) => r.resource === wanted || qualifiedName(r) === wanted || r.kind.toLowerCase() === wanted,
    ) ?? [];
  if (resources.length === 0)
    throw new WatchkeeperError(
      'not_found',
      `backup ${source.manifest.id} holds no resource "${resource}" (see \`watchkeeper backups describe ${source.manifest.id} --kind api\`)`,
    );
  let found: KubeObject | undefined;
  await forEachBackedUpObject(source, (ref, object) => {
    if (
      ref.name === name &&
      ref.namespace === (resources[0]!.namespaced ? (namespace ?? 'default') : undefined) &&
      resources.some((r) => r.group === ref.group && r.resource === ref.resource)
    )
      found = object;
  });
  if (!found) {
    const where = resources[0]!.namespaced ? ` in namespace ${namespace ?? 'default'}` : '';
    throw new WatchkeeperError(
      'not_found',
      `backup ${source.manifest.id} holds no ${qualifiedName(resources[0]!)} named ${name}${where}`,
    );
  }
  return found;
}

/** Digest of each object by "resource|namespace|name". */
export type Digests = Map<string, string>;

/** Key of an object in {@link Digests}. */
export function digestKey(ref: {
  group: string;
  resource: string;
  namespace?: string | undefined;
  name: string;
}): string {
  return `${qualifiedName(ref)}|${ref.namespace ?? ''}|${ref.name}`;
}

/** The digests of every object of a backup (verified). */
export async function backupDigests(source: BackupSource): Promise<Digests> {
  const digests: Digests = new Map();
  await forEachBackedUpObject(source, (ref, object) => digests.set(digestKey(ref), objectDigest(object)));
  return digests;
}

/**
 * The digests of the live objects the backup's selection selects now, for the resources the
 * backup listed. Cluster-scoped objects it stored because they were referenced are compared by
 * name only (whether a new one would be referenced is not known without the whole selection).
 */
export async function liveDigests(client: KubeClient, manifest: Manifest, backedUp: Digests): Promise<Digests> {
  const api = manifest.api;
  if (!api) throw new WatchkeeperError('usage', `backup ${manifest.id} is not an API backup`);
  const selection = new Selection(api.selection);
  const digests: Digests = new Map();
  for (const r of api.resources) {
    const referencedOnly = !r.namespaced && referencedKinds.has(qualifiedName(r));
    for await (const page of listPages(client, resourcePath(r), { limit: 500 })) {
      for (const object of page.items) {
        const ref = {
          ...r,
          namespace: r.namespaced ? object.metadata.namespace : undefined,
          name: object.metadata.name ?? '',
        };
        const key = digestKey(ref);
        const selected = r.namespaced
          ? selection.namespacedSelected(object)
          : referencedOnly
            ? backedUp.has(key)
            : selection.labelsMatch(object);
        if (!selected) continue;
        object.apiVersion = r.group === '' ? r.version : `${r.group}/${r.version}`;
        object.kind = r.kind;
        digests.set(key, objectDigest(object));
      }
    }
  }
  return digests;
}

/** One difference between two sets of objects. */
export interface DiffRow {
  change: 'added' | 'removed' | 'changed';
  resource: string;
  namespace: string;
  name: string;
}

/** What changed from `before` (the backup) to `after` (live or a later backup), sorted. */
export function diffDigests(before: Digests, after: Digests): DiffRow[] {
  const rows: DiffRow[] = [];
  const row = (change: DiffRow['change'], key: string): DiffRow => {
    const [resource = '', namespace = '', name = ''] = key.split('|');
    return { change, resource, namespace, name };
  };
  for (const [key, digest] of before) {
    const now = after.get(key);
    if (now === undefined) rows.push(row('removed', key));
    else if (now !== digest) rows.push(row('changed', key));
  }
  for (const key of after.keys()) if (!before.has(key)) rows.push(row('added', key));
  return rows.sort(
    (a, b) =>
      a.resource.localeCompare(b.resource) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
}
