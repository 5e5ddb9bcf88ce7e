import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listBackups, resolveBackup } from '../../../backup/catalog.ts';
import { readManifest, writeManifest, type Manifest } from '../../../backup/manifest.ts';
import { pruneBackups } from '../../../backup/prune.ts';
import { DirectoryStorage } from '../../../backup/storage/directory.ts';
import { manifestKey, newBackupId } from '../../../backup/storage/layout.ts';
import {
  DecryptStream,
  EncryptStream,
  encryptionAlgorithm,
  encryptionContext,
  keyId,
} from '../../../backup/stream/encryption.ts';

const key = randomBytes(32);
const root = { prefix: 'wk', cluster: 'test' };
const logger = pino({ level: 'silent' });
const now = new Date('2026-06-15T12:00:00Z');
let dir: string;
let storage: DirectoryStorage;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wk-trust-'));
  storage = new DirectoryStorage(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function manifestFor(id: string, name: string, encrypted = true): Manifest {
  return {
    formatVersion: 2,
    id,
    name,
    kind: 'etcd',
    cluster: 'test',
    startedAt: now.toISOString(),
    completedAt: now.toISOString(),
    watchkeeperVersion: '0',
    objects: [
      {
        role: 'etcd-snapshot',
        file: 'etcd-snapshot.db.enc',
        size: 10,
        sha256: 'a'.repeat(64),
        contentSize: 5,
        contentSha256: 'b'.repeat(64),
        compression: 'none',
        encryption: encrypted ? { algorithm: encryptionAlgorithm, keyId: keyId(key) } : null,
      },
    ],
  };
}

/** A backup as watchkeeper writes it with `withKey`, or as anyone with PutObject rights can plant it without. */
async function addBackup(name: string, at: Date, withKey: Buffer | 'planted' = key): Promise<string> {
  const id = newBackupId(name, at);
  const signingKey = withKey === 'planted' ? undefined : withKey;
  await writeManifest(storage, root, manifestFor(id, name, signingKey !== undefined), signingKey);
  return id;
}

async function rewriteManifest(id: string, change: (raw: Record<string, unknown>) => void): Promise<void> {
  const file = manifestKey(root, 'etcd', id);
  const raw = JSON.parse(await text(await storage.get(file))) as Record<string, unknown>;
  change(raw);
  await storage.put(file, Readable.from([Buffer.from(JSON.stringify(raw))]));
}

describe('manifest authentication', () => {
  it('reads back a manifest written with the key, and refuses it once any field changed', async () => {
    const id = await addBackup('daily', now);
    expect((await readManifest(storage, root, 'etcd', id, { key })).authentication?.keyId).toBe(keyId(key));
    await rewriteManifest(id, (raw) => {
      (raw.objects as { sha256: string }[])[0]!.sha256 = 'c'.repeat(64);
    });
    await expect(readManifest(storage, root, 'etcd', id, { key })).rejects.toThrow(
      /fails authentication: it was modified or not written by a holder of the backup key/,
    );
  });

  it('is independent of key order and whitespace, so a re-serialised manifest still verifies', async () => {
    const id = await addBackup('daily', now);
    await rewriteManifest(id, (raw) => {
      const etcd = raw.objects;
      delete raw.objects;
      raw.objects = etcd;
    });
    await expect(readManifest(storage, root, 'etcd', id, { key })).resolves.toMatchObject({ id });
  });

  it('refuses, with a key, a manifest without authentication, one made with another key, and one listing clear objects', async () => {
    const planted = await addBackup('daily', now, 'planted');
    await expect(readManifest(storage, root, 'etcd', planted, { key })).rejects.toThrow(
      /is not authenticated .* refused while a backup key is configured/,
    );
    expect((await readManifest(storage, root, 'etcd', planted, { key, allowUnauthenticated: true })).id).toBe(planted);
    const other = await addBackup('daily', new Date(now.getTime() - 1000), randomBytes(32));
    await expect(readManifest(storage, root, 'etcd', other, { key })).rejects.toThrow(
      /authenticated with key id [0-9a-f]{16}, the configured key has id/,
    );
    const id = newBackupId('clear', now);
    await writeManifest(storage, root, manifestFor(id, 'clear', false), key);
    await expect(readManifest(storage, root, 'etcd', id, { key })).rejects.toThrow(
      /lists unencrypted objects \(etcd-snapshot.db.enc\)/,
    );
  });

  it('refuses a manifest copied under another id', async () => {
    const id = await addBackup('daily', now);
    const copy = newBackupId('daily', new Date(now.getTime() + 1000));
    await storage.put(manifestKey(root, 'etcd', copy), await storage.get(manifestKey(root, 'etcd', id)));
    await expect(readManifest(storage, root, 'etcd', copy, { key })).rejects.toThrow(/describes another backup/);
  });
});

describe('encryption bound to backup id and role', () => {
  const data = randomBytes(100_000);
  const seal = (context: string): Promise<Buffer> =>
    buffer(Readable.from([data]).pipe(new EncryptStream(key, 4096, context)));
  const open = (sealed: Buffer, context: string): Promise<Buffer> =>
    buffer(Readable.from([sealed]).pipe(new DecryptStream(key, { context })));

  it('decrypts only under the context it was encrypted for', async () => {
    const a = encryptionContext('test', 'etcd', '20260615T120000Z-daily-aaaa', 'etcd-snapshot');
    const sealed = await seal(a);
    expect((await open(sealed, a)).equals(data)).toBe(true);
    await expect(
      open(sealed, encryptionContext('test', 'etcd', '20260615T130000Z-daily-bbbb', 'etcd-snapshot')),
    ).rejects.toThrow(/belongs to another backup or file/);
    await expect(
      open(sealed, encryptionContext('test', 'etcd', '20260615T120000Z-daily-aaaa', 'control-plane-files')),
    ).rejects.toThrow(/fails authentication/);
    await expect(
      open(sealed, encryptionContext('prod', 'etcd', '20260615T120000Z-daily-aaaa', 'etcd-snapshot')),
    ).rejects.toThrow(/fails authentication/);
  });

  it('refuses the old context-free format unless legacy streams are allowed', async () => {
    const sealed = await seal('');
    const legacy = Buffer.from(sealed);
    legacy.write('WKBKENC1', 0, 'ascii');
    await expect(buffer(Readable.from([legacy]).pipe(new DecryptStream(key, { context: '' })))).rejects.toThrow(
      /old WKBKENC1 format/,
    );
    // Allowed, it is read as WKBKENC1 (another key derivation), so this relabelled WKBKENC2 stream fails authentication.
    await expect(buffer(Readable.from([legacy]).pipe(new DecryptStream(key, { allowLegacy: true })))).rejects.toThrow(
      /fails authentication/,
    );
  });
});

describe('latest and retention trust only what they can verify', () => {
  it('latest skips ids dated in the future and, with a key, unauthenticated manifests', async () => {
    const real = await addBackup('daily', new Date(now.getTime() - 3600_000));
    const skewed = await addBackup('daily', new Date(now.getTime() + 5 * 60_000));
    const future = await addBackup('daily', new Date('2099-01-01T00:00:00Z'));
    const planted = await addBackup('daily', new Date(now.getTime() - 60_000), 'planted');
    expect((await listBackups(storage, root, 'etcd')).map((b) => b.id)).toEqual([real, planted, skewed, future]);
    // Within the clock-skew allowance a backup is still trusted.
    expect((await resolveBackup(storage, root, 'etcd', 'latest', undefined, { key, now: () => now })).id).toBe(skewed);
    await rm(path.join(dir, manifestKey(root, 'etcd', skewed)));
    expect((await resolveBackup(storage, root, 'etcd', 'latest', undefined, { key, now: () => now })).id).toBe(real);
    // Without a key the planted one cannot be told apart, but the future-dated one still never wins.
    expect((await resolveBackup(storage, root, 'etcd', 'latest', undefined, { now: () => now })).id).toBe(planted);
  });

  it('says why when no backup can be trusted', async () => {
    const future = await addBackup('daily', new Date('2099-01-01T00:00:00Z'));
    await expect(resolveBackup(storage, root, 'etcd', 'latest', undefined, { key, now: () => now })).rejects.toThrow(
      new RegExp(
        `no trustworthy etcd backup .*\\n  ${future}: its id is dated 2099-01-01T00:00:00.000Z, in the future`,
      ),
    );
  });

  it('never deletes a verified backup because of planted or future-dated ones, and leaves those alone', async () => {
    const real: string[] = [];
    for (let d = 5; d >= 1; d--) real.push(await addBackup('daily', new Date(now.getTime() - d * 86_400_000)));
    const forged: string[] = [];
    for (let y = 1; y <= 3; y++) forged.push(await addBackup('daily', new Date(Date.UTC(2090 + y, 0, 1))));
    forged.push(await addBackup('daily', new Date(now.getTime() - 3600_000), 'planted'));
    const result = await pruneBackups({
      storage,
      root,
      kind: 'etcd',
      name: 'daily',
      policy: { keepLast: 3 },
      dryRun: false,
      logger,
      key,
      now: () => now,
    });
    expect(result.decision.keep.map((b) => b.id)).toEqual(real.slice(2).reverse());
    expect(result.deleted.sort()).toEqual(real.slice(0, 2));
    expect(result.untrusted.map((b) => b.id).sort()).toEqual([...forged].sort());
    expect((await listBackups(storage, root, 'etcd')).map((b) => b.id).sort()).toEqual(
      [...real.slice(2), ...forged].sort(),
    );
  });
});
