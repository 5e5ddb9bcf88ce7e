import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { WatchkeeperError, describeError } from '../core/errors.ts';
import { manifestKey, type BackupKind, type LayoutRoot } from './storage/layout.ts';
import type { ObjectStorage } from './storage/types.ts';
import { apiInfoSchema } from './api/manifest-info.ts';
import { keyId } from './stream/encryption.ts';

/** The manifest format written now: 2 adds the authentication and context-bound encryption (WKBKENC2). */
export const manifestFormatVersion = 2;

/** Manifests are small; a bigger object in a manifest's place is not read whole into memory. */
const maxManifestBytes = 4 * 1024 * 1024;

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

/** How a manifest proves it was written by a holder of the backup key. */
const authenticationSchema = z.object({
  algorithm: z.literal('HMAC-SHA256'),
  /** Id of the key the MAC key was derived from (see stream/encryption.ts keyId). */
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  /** HMAC-SHA256 over the canonical JSON of the manifest without this field, hex. */
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The manifest: written last, so a backup exists exactly when its manifest does. */
export const manifestSchema = z.object({
  /** 1: watchkeeper 0.1 (nothing authenticated); 2: authenticated when written with a key. */
  formatVersion: z.union([z.literal(1), z.literal(2)]),
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
  /** Present when the manifest was written with a key (format 2). */
  authentication: authenticationSchema.optional(),
});

/** A parsed manifest. */
export type Manifest = z.infer<typeof manifestSchema>;
/** One stored file of a manifest. */
export type StoredObject = Manifest['objects'][number];
/** etcd facts of a manifest. */
export type EtcdInfo = NonNullable<Manifest['etcd']>;

/** Options of {@link readManifest}. */
export interface ReadManifestOptions {
  /** The backup key: the manifest must then be authenticated with it and list only encrypted objects. */
  key?: Buffer | undefined;
  /** With a key, still accept a manifest that is not authenticated (format 1, or written without a key). */
  allowUnauthenticated?: boolean | undefined;
}

/**
 * Writes the manifest; call it only after every object of the backup is stored. With `key`
 * (the backup key) the manifest is authenticated: an HMAC-SHA256, with a key derived from the
 * backup key by HKDF, over its canonical JSON (which holds the id, cluster, kind and every
 * object's hashes). The format version written is always {@link manifestFormatVersion}. Returns
 * the manifest as written.
 */
export async function writeManifest(
  storage: ObjectStorage,
  root: LayoutRoot,
  manifest: Manifest,
  key?: Buffer,
): Promise<Manifest> {
  const parsed = manifestSchema.parse({ ...manifest, formatVersion: manifestFormatVersion });
  const { authentication: _ignored, ...content } = parsed;
  const signed: Manifest = key
    ? { ...content, authentication: { algorithm: 'HMAC-SHA256', keyId: keyId(key), mac: manifestMac(content, key) } }
    : content;
  const body = Buffer.from(`${JSON.stringify(signed, null, 2)}\n`);
  const objectName = manifestKey(root, manifest.kind, manifest.id);
  await storage.put(objectName, Readable.from([body]), { contentType: 'application/json' });
  return signed;
}

/**
 * Reads and validates a backup's manifest; not_found when the backup does not exist. With a key,
 * the manifest must be authenticated by that key and list only encrypted objects (unless
 * `allowUnauthenticated`): anyone who can write to the bucket could have written any other.
 */
export async function readManifest(
  storage: ObjectStorage,
  root: LayoutRoot,
  kind: BackupKind,
  id: string,
  options: ReadManifestOptions = {},
): Promise<Manifest> {
  const key = manifestKey(root, kind, id);
  const content = await readLimited(storage, key);
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch (error) {
    throw new WatchkeeperError('integrity', `manifest ${key} is not valid JSON: ${describeError(error)}`);
  }
  const result = manifestSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new WatchkeeperError('integrity', `manifest ${key} is not a valid watchkeeper manifest: ${issues}`);
  }
  const manifest = result.data;
  if (manifest.id !== id || manifest.kind !== kind) {
    throw new WatchkeeperError(
      'integrity',
      `manifest ${key} describes another backup (${manifest.kind}/${manifest.id})`,
    );
  }
  if (manifest.cluster !== root.cluster) {
    throw new WatchkeeperError(
      'integrity',
      `manifest ${key} describes a backup of another cluster (${manifest.cluster})`,
    );
  }
  if (options.key) {
    checkAuthentication(
      manifest,
      raw as Record<string, unknown>,
      key,
      options.key,
      options.allowUnauthenticated === true,
    );
  }
  return manifest;
}

function checkAuthentication(
  manifest: Manifest,
  raw: Record<string, unknown>,
  name: string,
  key: Buffer,
  allowUnauthenticated: boolean,
): void {
  const auth = manifest.authentication;
  if (!auth) {
    if (allowUnauthenticated) return;
    throw new WatchkeeperError(
      'integrity',
      `manifest ${name} is not authenticated (format ${manifest.formatVersion}, written without a key): ` +
        'anyone with write access to the bucket could have written it, so it is refused while a backup key is configured ' +
        '(use --allow-unauthenticated only if you know where it came from)',
    );
  }
  if (auth.keyId !== keyId(key)) {
    throw new WatchkeeperError(
      'integrity',
      `manifest ${name} is authenticated with key id ${auth.keyId}, the configured key has id ${keyId(key)}`,
    );
  }
  const { authentication: _auth, ...content } = raw;
  const expected = Buffer.from(manifestMac(content, key), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(auth.mac, 'hex'))) {
    throw new WatchkeeperError(
      'integrity',
      `manifest ${name} fails authentication: it was modified or not written by a holder of the backup key`,
    );
  }
  const clear = manifest.objects.filter((o) => o.encryption === null).map((o) => o.file);
  if (clear.length > 0 && !allowUnauthenticated) {
    throw new WatchkeeperError(
      'integrity',
      `manifest ${name} lists unencrypted objects (${clear.join(', ')}), refused while a backup key is configured`,
    );
  }
}

/** The HMAC of a manifest's content (everything but `authentication`), keyed by HKDF of the backup key. */
function manifestMac(content: unknown, key: Buffer): string {
  const macKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'watchkeeper manifest authentication v2', 32));
  return createHmac('sha256', macKey).update(canonicalJson(content)).digest('hex');
}

/**
 * JSON with object keys sorted at every level: the same document always gives the same bytes,
 * whatever order a writer or a schema put the keys in.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

async function readLimited(storage: ObjectStorage, key: string): Promise<string> {
  const source = await storage.get(key);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += (chunk as Buffer).length;
    if (size > maxManifestBytes) {
      source.destroy();
      throw new WatchkeeperError(
        'integrity',
        `manifest ${key} is over ${maxManifestBytes} bytes, more than a manifest holds`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
