import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { WatchkeeperError, describeError } from '../core/errors.ts';
import { manifestKey, type BackupKind, type LayoutRoot } from './storage/layout.ts';
import type { ObjectStorage } from './storage/types.ts';
import { apiInfoSchema } from './api/manifest-info.ts';

/** One stored file of a backup and the hashes that prove it intact. */
const storedObjectSchema = z.object({
  /** What the file holds. */
  role: z.enum(['etcd-snapshot', 'control-plane-files', 'api-objects', 'api-index']),
  /** File name inside the backup folder (see storage/layout.ts). */
  file: z.string(),
  /** Bytes stored (after compression and encryption). */
  size: z.number().int().nonnegative(),
  /** sha256 of the stored bytes: checked before anything is decrypted. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Bytes of the original content (before compression and encryption). */
  contentSize: z.number().int().nonnegative(),
  /** sha256 of the original content: checked after decryption and decompression. */
  contentSha256: z.string().regex(/^[0-9a-f]{64}$/),
  compression: z.enum(['zstd', 'gzip', 'none']),
  /** Client-side encryption, or null when stored in clear. */
  encryption: z.object({ algorithm: z.string(), keyId: z.string() }).nullable(),
});

/** etcd facts recorded with a snapshot. */
const etcdInfoSchema = z.object({
  endpoint: z.string(),
  /** Member and cluster ids in hex, as etcdctl prints them. */
  memberId: z.string(),
  memberName: z.string(),
  clusterId: z.string(),
  /** Whether the member was the leader when the snapshot started. */
  wasLeader: z.boolean(),
  /** Revision the member reported just before the snapshot (the snapshot holds at least this). */
  revision: z.string(),
  etcdVersion: z.string(),
  /** Size of the database file without etcd's trailer. */
  dbSize: z.number().int().nonnegative(),
  /** etcd's own sha256 of the database (the 32-byte trailer kept at the end of the stored file). */
  dbSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The manifest: written last, so a backup exists exactly when its manifest does. */
export const manifestSchema = z.object({
  formatVersion: z.literal(1),
  id: z.string(),
  name: z.string(),
  kind: z.enum(['etcd', 'api']),
  cluster: z.string(),
  startedAt: z.iso.datetime(),
  completedAt: z.iso.datetime(),
  watchkeeperVersion: z.string(),
  objects: z.array(storedObjectSchema),
  etcd: etcdInfoSchema.optional(),
  /** Control-plane files archived with the backup (paths as on the host). */
  files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative() })).optional(),
  /** API backups: what was selected and what the archive holds (see backup/api/manifest-info.ts). */
  api: apiInfoSchema.optional(),
});

/** A parsed manifest. */
export type Manifest = z.infer<typeof manifestSchema>;
/** One stored file of a manifest. */
export type StoredObject = Manifest['objects'][number];
/** etcd facts of a manifest. */
export type EtcdInfo = NonNullable<Manifest['etcd']>;

/** Writes the manifest; call it only after every object of the backup is stored. */
export async function writeManifest(storage: ObjectStorage, root: LayoutRoot, manifest: Manifest): Promise<void> {
  const body = Buffer.from(`${JSON.stringify(manifestSchema.parse(manifest), null, 2)}\n`);
  await storage.put(manifestKey(root, manifest.kind, manifest.id), Readable.from([body]), { contentType: 'application/json' });
}

/** Reads and validates a backup's manifest; not_found when the backup does not exist. */
export async function readManifest(storage: ObjectStorage, root: LayoutRoot, kind: BackupKind, id: string): Promise<Manifest> {
  const key = manifestKey(root, kind, id);
  const content = await text(await storage.get(key));
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch (error) {
    throw new WatchkeeperError('integrity', `manifest ${key} is not valid JSON: ${describeError(error)}`);
  }
  const result = manifestSchema.safeParse(raw);
  if (!result.success) {
    throw new WatchkeeperError('integrity', `manifest ${key} is not a valid watchkeeper manifest: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  if (result.data.id !== id || result.data.kind !== kind) throw new WatchkeeperError('integrity', `manifest ${key} describes another backup (${result.data.kind}/${result.data.id})`);
  return result.data;
}
