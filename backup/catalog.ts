import { WatchkeeperError } from '../core/errors.ts';
import { readManifest } from './manifest.ts';
import {
  backupIdOfManifestKey,
  backupPrefix,
  kindPrefix,
  manifestKey,
  parseBackupId,
  type BackupKind,
  type LayoutRoot,
} from './storage/layout.ts';
import type { ObjectStorage } from './storage/types.ts';

/** A backup found in storage (one whose manifest exists). */
export interface BackupEntry {
  id: string;
  kind: BackupKind;
  /** Backup name (schedule name or "manual"). */
  name: string;
  startedAt: Date;
  /** When the manifest was written, i.e. when the backup completed. */
  completedAt: Date;
}

/**
 * Lists the backups of one kind, oldest first, from the manifest keys alone (one LIST, no GET):
 * an id says when and under which name a backup was taken, and a manifest says it completed.
 */
export async function listBackups(storage: ObjectStorage, root: LayoutRoot, kind: BackupKind): Promise<BackupEntry[]> {
  const entries: BackupEntry[] = [];
  for await (const object of storage.list(kindPrefix(root, kind))) {
    const id = backupIdOfManifestKey(root, kind, object.key);
    const parsed = id === undefined ? undefined : parseBackupId(id);
    if (parsed)
      entries.push({
        id: parsed.id,
        kind,
        name: parsed.name,
        startedAt: parsed.startedAt,
        completedAt: object.lastModified,
      });
  }
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** How far in the future a backup id may be dated and still be trusted: clocks of nodes differ a little. */
export const maxClockSkewMs = 10 * 60 * 1000;

/** What decides whether a listed backup can be relied on (for `latest`, retention and catch-up). */
export interface TrustOptions {
  /** The backup key: a backup is trusted only when its manifest is authenticated by it. */
  key?: Buffer | undefined;
  /** Clock (tests). */
  now?: (() => Date) | undefined;
}

/** A listed backup that `latest` and retention ignore, and why. */
export interface UntrustedBackup extends BackupEntry {
  reason: string;
}

/** Why a listed backup cannot be relied on, or undefined when it can; reads its manifest when a key is given. */
export async function distrust(
  storage: ObjectStorage,
  root: LayoutRoot,
  entry: BackupEntry,
  options: TrustOptions = {},
): Promise<string | undefined> {
  const now = (options.now ?? (() => new Date()))();
  if (entry.startedAt.getTime() > now.getTime() + maxClockSkewMs) {
    const allowed = maxClockSkewMs / 60_000;
    return `its id is dated ${entry.startedAt.toISOString()}, in the future (clock skew allowed: ${allowed} minutes)`;
  }
  if (!options.key) return undefined;
  try {
    await readManifest(storage, root, entry.kind, entry.id, { key: options.key });
    return undefined;
  } catch (error) {
    if (error instanceof WatchkeeperError && error.code === 'integrity') return error.message;
    throw error;
  }
}

/**
 * Splits backups into those that retention and `latest` may rely on and the others: ids dated in
 * the future (beyond {@link maxClockSkewMs}) and, with a key, manifests it does not authenticate.
 * Anyone who can write to the bucket can plant the others; they must never count as newest.
 */
export async function classifyBackups(
  storage: ObjectStorage,
  root: LayoutRoot,
  entries: readonly BackupEntry[],
  options: TrustOptions = {},
): Promise<{ trusted: BackupEntry[]; untrusted: UntrustedBackup[] }> {
  const trusted: BackupEntry[] = [];
  const untrusted: UntrustedBackup[] = [];
  for (const entry of entries) {
    const reason = await distrust(storage, root, entry, options);
    if (reason === undefined) trusted.push(entry);
    else untrusted.push({ ...entry, reason });
  }
  return { trusted, untrusted };
}

/**
 * Resolves "latest" (optionally the latest of one name) or a full id to an existing backup;
 * a not_found error lists what exists when it does not. "latest" is the newest backup that can
 * be trusted (see {@link distrust}): never one dated in the future, and with a key never one
 * whose manifest the key does not authenticate.
 */
export async function resolveBackup(
  storage: ObjectStorage,
  root: LayoutRoot,
  kind: BackupKind,
  idOrLatest: string,
  name?: string,
  options: TrustOptions = {},
): Promise<BackupEntry> {
  if (idOrLatest === 'latest') {
    const all = (await listBackups(storage, root, kind)).filter((b) => name === undefined || b.name === name);
    const skipped: string[] = [];
    for (const entry of all.reverse()) {
      const reason = await distrust(storage, root, entry, options);
      if (reason === undefined) return entry;
      skipped.push(`${entry.id}: ${reason}`);
    }
    const what = `${kind} backup${name ? ` named ${name}` : ''} of cluster ${root.cluster} in ${storage.location}`;
    if (skipped.length === 0) throw new WatchkeeperError('not_found', `no ${what}`);
    throw new WatchkeeperError('not_found', `no trustworthy ${what}; skipped:\n  ${skipped.join('\n  ')}`);
  }
  const parsed = parseBackupId(idOrLatest);
  if (!parsed) {
    throw new WatchkeeperError(
      'usage',
      `"${idOrLatest}" is not a backup id (expected e.g. 20260425T101500Z-manual-1a2b, or latest)`,
    );
  }
  const head = await storage.head(manifestKey(root, kind, parsed.id));
  if (!head) {
    throw new WatchkeeperError(
      'not_found',
      `${kind} backup ${parsed.id} does not exist in ${storage.location} (cluster ${root.cluster}); run \`watchkeeper backups list\``,
    );
  }
  return { id: parsed.id, kind, name: parsed.name, startedAt: parsed.startedAt, completedAt: head.lastModified };
}

/**
 * Deletes a backup: the manifest first, so the backup stops existing at once and a crash half
 * way leaves only unlisted objects, then every other object of its folder.
 */
export async function deleteBackup(
  storage: ObjectStorage,
  root: LayoutRoot,
  kind: BackupKind,
  id: string,
): Promise<void> {
  await storage.delete(manifestKey(root, kind, id));
  for await (const object of storage.list(backupPrefix(root, kind, id))) await storage.delete(object.key);
}

/** Folders of failed runs: objects under a backup id that has no manifest. */
export async function findIncomplete(
  storage: ObjectStorage,
  root: LayoutRoot,
  kind: BackupKind,
): Promise<{ id: string; startedAt: Date; keys: string[] }[]> {
  const prefix = kindPrefix(root, kind);
  const folders = new Map<string, { keys: string[]; complete: boolean }>();
  for await (const object of storage.list(prefix)) {
    const id = object.key.slice(prefix.length).split('/')[0]!;
    if (!parseBackupId(id)) continue;
    const folder = folders.get(id) ?? { keys: [], complete: false };
    folder.keys.push(object.key);
    if (backupIdOfManifestKey(root, kind, object.key) === id) folder.complete = true;
    folders.set(id, folder);
  }
  return [...folders]
    .filter(([, f]) => !f.complete)
    .map(([id, f]) => ({ id, startedAt: parseBackupId(id)!.startedAt, keys: f.keys }));
}
