import { randomBytes } from 'node:crypto';

/**
 * Every object key of every backup is built here, and nowhere else:
 *
 *   <prefix>/<cluster>/<kind>/<backup-id>/<file>
 *   <prefix>/<cluster>/<kind>/<backup-id>/manifest.json     (written last: the backup exists once it does)
 *
 * Backup ids sort by time: `20260425T101500Z-<name>-<4 hex>`.
 */

/** What a backup holds: an etcd snapshot, or API objects (a later component). */
export type BackupKind = 'etcd' | 'api';

/** Every backup kind, for listing. */
export const backupKinds: readonly BackupKind[] = ['etcd', 'api'];

/** Name of the manifest object inside a backup's folder. */
export const manifestFile = 'manifest.json';

/** The prefix and cluster that every key of one configuration starts with. */
export interface LayoutRoot {
  /** Configured key prefix without leading or trailing "/", possibly empty. */
  prefix: string;
  /** Cluster name. */
  cluster: string;
}

/** Parts of a backup id. */
export interface ParsedBackupId {
  id: string;
  /** When the backup started (second precision, UTC). */
  startedAt: Date;
  /** Name of the backup (schedule name or "manual"). */
  name: string;
}

const idPattern = /^(\d{8}T\d{6}Z)-([a-z0-9]([a-z0-9-]*[a-z0-9])?)-([0-9a-f]{4})$/;

/** Makes a new, time-sortable backup id. */
export function newBackupId(
  name: string,
  startedAt: Date,
  random: () => string = () => randomBytes(2).toString('hex'),
): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  const id = `${stamp}-${name}-${random()}`;
  if (!idPattern.test(id)) throw new Error(`backup name "${name}" does not make a valid backup id`);
  return id;
}

/** Parses a backup id; undefined when the text is not one. */
export function parseBackupId(id: string): ParsedBackupId | undefined {
  const match = idPattern.exec(id);
  if (!match) return undefined;
  const s = match[1]!;
  const startedAt = new Date(
    `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`,
  );
  if (Number.isNaN(startedAt.getTime())) return undefined;
  return { id, startedAt, name: match[2]! };
}

/** The folder (with trailing "/") that holds every backup of one kind. */
export function kindPrefix(root: LayoutRoot, kind: BackupKind): string {
  return `${root.prefix === '' ? '' : `${root.prefix}/`}${root.cluster}/${kind}/`;
}

/** The folder (with trailing "/") of one backup. */
export function backupPrefix(root: LayoutRoot, kind: BackupKind, id: string): string {
  assertId(id);
  return `${kindPrefix(root, kind)}${id}/`;
}

/** Key of one file of a backup. */
export function objectKey(root: LayoutRoot, kind: BackupKind, id: string, file: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(file) || file === '.' || file === '..')
    throw new Error(`invalid backup file name "${file}"`);
  return `${backupPrefix(root, kind, id)}${file}`;
}

/** Key of a backup's manifest. */
export function manifestKey(root: LayoutRoot, kind: BackupKind, id: string): string {
  return objectKey(root, kind, id, manifestFile);
}

/** The backup id of a manifest key listed under {@link kindPrefix}; undefined for any other key. */
export function backupIdOfManifestKey(root: LayoutRoot, kind: BackupKind, key: string): string | undefined {
  const prefix = kindPrefix(root, kind);
  if (!key.startsWith(prefix) || !key.endsWith(`/${manifestFile}`)) return undefined;
  const id = key.slice(prefix.length, key.length - manifestFile.length - 1);
  return parseBackupId(id) ? id : undefined;
}

/** Stored file name of an etcd snapshot with the given compression and encryption. */
export function snapshotFile(compression: 'zstd' | 'gzip' | 'none', encrypted: boolean): string {
  return `etcd-snapshot.db${compressionSuffix(compression)}${encrypted ? '.enc' : ''}`;
}

/** Stored file name of the control-plane files archive. */
export function controlPlaneFilesFile(compression: 'zstd' | 'gzip' | 'none', encrypted: boolean): string {
  return `control-plane-files.tar${compressionSuffix(compression)}${encrypted ? '.enc' : ''}`;
}

/** Stored file name of an API backup's object archive. */
export function apiArchiveFile(compression: 'zstd' | 'gzip' | 'none', encrypted: boolean): string {
  return `resources.tar${compressionSuffix(compression)}${encrypted ? '.enc' : ''}`;
}

/** Stored file name of an API backup's index: one line (path, sha256, size) per archived object, in archive order. */
export function apiIndexFile(compression: 'zstd' | 'gzip' | 'none', encrypted: boolean): string {
  return `objects-index.jsonl${compressionSuffix(compression)}${encrypted ? '.enc' : ''}`;
}

/** Stored file name of the report of one restore of an API backup, kept beside the backup. */
export function restoreReportFile(restoreId: string): string {
  assertId(restoreId);
  return `restore-${restoreId}.jsonl`;
}

function compressionSuffix(compression: 'zstd' | 'gzip' | 'none'): string {
  return compression === 'zstd' ? '.zst' : compression === 'gzip' ? '.gz' : '';
}

function assertId(id: string): void {
  if (!parseBackupId(id)) throw new Error(`invalid backup id "${id}"`);
}
