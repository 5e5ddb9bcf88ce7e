import { WatchkeeperError } from '../core/errors.ts';
import { backupIdOfManifestKey, backupPrefix, kindPrefix, manifestKey, parseBackupId, type BackupKind, type LayoutRoot } from './storage/layout.ts';
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
    if (parsed) entries.push({ id: parsed.id, kind, name: parsed.name, startedAt: parsed.startedAt, completedAt: object.lastModified });
  }
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Resolves "latest" (optionally the latest of one name) or a full id to an existing backup;
 * a not_found error lists what exists when it does not.
 */
export async function resolveBackup(storage: ObjectStorage, root: LayoutRoot, kind: BackupKind, idOrLatest: string, name?: string): Promise<BackupEntry> {
  if (idOrLatest === 'latest') {
    const all = (await listBackups(storage, root, kind)).filter((b) => name === undefined || b.name === name);
    const latest = all[all.length - 1];
    if (!latest) throw new WatchkeeperError('not_found', `no ${kind} backup${name ? ` named ${name}` : ''} of cluster ${root.cluster} in ${storage.location}`);
    return latest;
  }
  const parsed = parseBackupId(idOrLatest);
  if (!parsed) throw new WatchkeeperError('usage', `"${idOrLatest}" is not a backup id (expected e.g. 20260425T101500Z-manual-1a2b, or latest)`);
  const head = await storage.head(manifestKey(root, kind, parsed.id));
  if (!head) throw new WatchkeeperError('not_found', `${kind} backup ${parsed.id} does not exist in ${storage.location} (cluster ${root.cluster}); run \`watchkeeper backups list\``);
  return { id: parsed.id, kind, name: parsed.name, startedAt: parsed.startedAt, completedAt: head.lastModified };
}

/**
 * Deletes a backup: the manifest first, so the backup stops existing at once and a crash half
 * way leaves only unlisted objects, then every other object of its folder.
 */
export async function deleteBackup(storage: ObjectStorage, root: LayoutRoot, kind: BackupKind, id: string): Promise<void> {
  await storage.delete(manifestKey(root, kind, id));
  for await (const object of storage.list(backupPrefix(root, kind, id))) await storage.delete(object.key);
}

/** Folders of failed runs: objects under a backup id that has no manifest. */
export async function findIncomplete(storage: ObjectStorage, root: LayoutRoot, kind: BackupKind): Promise<{ id: string; startedAt: Date; keys: string[] }[]> {
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
  return [...folders].filter(([, f]) => !f.complete).map(([id, f]) => ({ id, startedAt: parseBackupId(id)!.startedAt, keys: f.keys }));
}
