import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import pino from 'pino';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiArchiveWriter } from '../../../backup/api/archive-writer.ts';
import { readVerifiedArchive } from '../../../backup/api/archive-reader.ts';
import type { EntryRef } from '../../../backup/api/entry-path.ts';
import type { Manifest, StoredObject } from '../../../backup/manifest.ts';
import { DirectoryStorage } from '../../../backup/storage/directory.ts';
import { objectKey } from '../../../backup/storage/layout.ts';
import { compressor } from '../../../backup/stream/compression.ts';

const root = { prefix: 'wk', cluster: 'unit' };
const id = '20260425T101500Z-manual-beef';
const logger = pino({ level: 'silent' });

function manifestOf(objects: StoredObject[], objectCount: number): Manifest {
  return {
    formatVersion: 1,
    id,
    name: 'manual',
    kind: 'api',
    cluster: 'unit',
    startedAt: new Date().toISOString(),
    completedAt: new Date().toISOString(),
    watchkeeperVersion: 'test',
    objects,
    api: {
      clusterVersion: 'v1.35.4',
      serverTime: new Date().toISOString(),
      selection: {
        selectors: [],
        includeNamespaces: [],
        excludeNamespaces: [],
        includeResources: [],
        excludeResources: [],
        clusterResources: 'none',
      },
      objectCount,
      secretsIncluded: false,
      resources: [],
      missing: [],
    },
  };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Stores a hand-made tar (and index) as a backup would, with correct file hashes: only the per-entry checks can catch it. */
async function storeForged(
  storage: DirectoryStorage,
  entries: { header: tar.Header; body?: Buffer }[],
  index: string,
): Promise<Manifest> {
  const pack = tar.pack();
  for (const e of entries) pack.entry(e.header, e.body ?? Buffer.alloc(0));
  pack.finalize();
  const tarBytes = await buffer(Readable.from(pack));
  const stored: StoredObject[] = [];
  for (const [role, file, content] of [
    ['api-objects', 'resources.tar.gz', tarBytes],
    ['api-index', 'objects-index.jsonl.gz', Buffer.from(index)],
  ] as const) {
    const compressed = await buffer(Readable.from([content]).pipe(compressor('gzip')));
    await storage.put(objectKey(root, 'api', id, file), Readable.from([compressed]));
    stored.push({
      role,
      file,
      size: compressed.length,
      sha256: sha(compressed),
      contentSize: content.length,
      contentSha256: sha(content),
      compression: 'gzip',
      encryption: null,
    });
  }
  return manifestOf(stored, entries.length);
}

describe('API backup archive: writer and verifying reader', () => {
  let dir: string;
  let storage: DirectoryStorage;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wk-api-archive-'));
    storage = new DirectoryStorage(path.join(dir, 'store'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips objects written concurrently, encrypted, with every hash checked', async () => {
    const key = randomBytes(32);
    const writer = new ApiArchiveWriter({
      storage,
      root,
      id,
      compression: 'zstd',
      encryptionKey: key,
      mtime: new Date(),
      logger,
    });
    const written = new Map<string, string>();
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 50; i++) {
          const p = `resources/core/v1/configmaps/namespaces/ns-${w}/cm-${i}.json`;
          const body = JSON.stringify({
            metadata: { name: `cm-${i}`, namespace: `ns-${w}` },
            data: { v: randomBytes(8).toString('hex') },
          });
          written.set(p, body);
          await writer.add(p, Buffer.from(body));
        }
      }),
    );
    const manifest = manifestOf(await writer.finish(), 200);
    const read = new Map<string, string>();
    const result = await readVerifiedArchive({
      storage,
      root,
      manifest,
      key,
      workDir: dir,
      onObject: (ref: EntryRef, body) => {
        read.set(`resources/core/v1/configmaps/namespaces/${ref.namespace!}/${ref.name}.json`, body.toString());
      },
    });
    expect(result.objects).toBe(200);
    expect(read).toEqual(written);
    await expect(
      readVerifiedArchive({ storage, root, manifest, key: randomBytes(32), workDir: dir, onObject: () => undefined }),
    ).rejects.toThrow('wrong decryption key');
  });

  it('binds each encrypted file to its backup id and role: a copy under another id or role is refused', async () => {
    const key = randomBytes(32);
    const writer = new ApiArchiveWriter({
      storage,
      root,
      id,
      compression: 'gzip',
      encryptionKey: key,
      mtime: new Date(),
      logger,
    });
    await writer.add(
      'resources/core/v1/configmaps/namespaces/a/b.json',
      Buffer.from('{"metadata":{"name":"b","namespace":"a"}}'),
    );
    const manifest = manifestOf(await writer.finish(), 1);
    const read = (m: Manifest): Promise<unknown> =>
      readVerifiedArchive({ storage, root, manifest: m, key, workDir: dir, onObject: () => undefined });
    await expect(read(manifest)).resolves.toEqual({ objects: 1 });
    // Same bytes and hashes, listed by a manifest of another backup: the hashes match, the decryption does not.
    const otherId = '20260426T101500Z-manual-cafe';
    for (const o of manifest.objects)
      await storage.put(objectKey(root, 'api', otherId, o.file), await storage.get(objectKey(root, 'api', id, o.file)));
    await expect(read({ ...manifest, id: otherId })).rejects.toThrow(
      /belongs to another backup or file \(frame 0 fails authentication\)/,
    );
    // The index stored in the archive's place (and listed so): refused the same way.
    const [archive, index] = manifest.objects as [StoredObject, StoredObject];
    await storage.put(
      objectKey(root, 'api', id, archive.file),
      await storage.get(objectKey(root, 'api', id, index.file)),
    );
    await expect(
      read({ ...manifest, objects: [{ ...index, role: 'api-objects', file: archive.file }, index] }),
    ).rejects.toThrow(/belongs to another backup or file/);
  });

  it('stores paths of any length Kubernetes allows (ustar prefix, pax records) and tar-stream reads them back', async () => {
    const writer = new ApiArchiveWriter({
      storage,
      root,
      id,
      compression: 'none',
      mtime: new Date('2026-04-25T10:15:00Z'),
      logger,
    });
    const paths = [
      'resources/core/v1/configmaps/namespaces/a/b.json',
      `resources/core/v1/configmaps/namespaces/${'n'.repeat(63)}/${'c'.repeat(80)}.json`,
      `resources/${'g'.repeat(60)}.example.com/v1/${'r'.repeat(63)}/namespaces/${'n'.repeat(63)}/${'x'.repeat(253)}.json`,
      `resources/rbac.authorization.k8s.io/v1/clusterroles/cluster/system:${'y'.repeat(200)}.json`,
    ];
    for (const [i, p] of paths.entries()) await writer.add(p, Buffer.from(`{"i":${i}}`));
    const manifest = manifestOf(await writer.finish(), paths.length);
    const read: string[] = [];
    await readVerifiedArchive({
      storage,
      root,
      manifest,
      key: undefined,
      workDir: dir,
      onObject: (ref, body) => {
        read.push(`${ref.name.slice(0, 3)}:${body.toString()}`);
      },
    });
    expect(read).toEqual(['b:{"i":0}', 'ccc:{"i":1}', 'xxx:{"i":2}', 'sys:{"i":3}']);
    const extract = tar.extract();
    const names: string[] = [];
    const done = (async () => {
      for await (const entry of extract) {
        names.push(entry.header.name);
        entry.resume();
      }
    })();
    extract.end(await readFile(path.join(dir, 'store', objectKey(root, 'api', id, 'resources.tar'))));
    await done;
    expect(names).toEqual(paths);
  });

  it('refuses a plaintext backup when a key is configured', async () => {
    const writer = new ApiArchiveWriter({ storage, root, id, compression: 'gzip', mtime: new Date(), logger });
    await writer.add('resources/core/v1/configmaps/namespaces/a/b.json', Buffer.from('{}'));
    const manifest = manifestOf(await writer.finish(), 1);
    await expect(
      readVerifiedArchive({ storage, root, manifest, key: randomBytes(32), workDir: dir, onObject: () => undefined }),
    ).rejects.toThrow('refusing a plaintext backup');
    // Asked for explicitly (--allow-unauthenticated), it is read.
    await expect(
      readVerifiedArchive({
        storage,
        root,
        manifest,
        key: randomBytes(32),
        allowUnauthenticated: true,
        workDir: dir,
        onObject: () => undefined,
      }),
    ).resolves.toEqual({ objects: 1 });
  });

  it('refuses a flipped byte in the stored archive', async () => {
    const writer = new ApiArchiveWriter({ storage, root, id, compression: 'gzip', mtime: new Date(), logger });
    await writer.add(
      'resources/core/v1/configmaps/namespaces/a/b.json',
      Buffer.from(JSON.stringify({ data: 'x'.repeat(5000) })),
    );
    const manifest = manifestOf(await writer.finish(), 1);
    const file = path.join(dir, 'store', objectKey(root, 'api', id, 'resources.tar.gz'));
    const bytes = await readFile(file);
    bytes[bytes.length - 12]! ^= 0xff;
    await writeFile(file, bytes);
    await expect(
      readVerifiedArchive({ storage, root, manifest, key: undefined, workDir: dir, onObject: () => undefined }),
    ).rejects.toThrow(/corrupted|does not decompress/);
  });

  it.each([
    [
      'a symlink',
      [
        {
          header: {
            name: 'resources/core/v1/configmaps/namespaces/a/b.json',
            type: 'symlink',
            linkname: '/etc/passwd',
          } as tar.Header,
        },
      ],
      'only regular files',
    ],
    [
      'a hard link',
      [
        {
          header: {
            name: 'resources/core/v1/configmaps/namespaces/a/b.json',
            type: 'link',
            linkname: 'x',
          } as tar.Header,
        },
      ],
      'only regular files',
    ],
    [
      'a path escaping the layout',
      [{ header: { name: '../../etc/cron.d/x', type: 'file', size: 2 } as tar.Header, body: Buffer.from('{}') }],
      'outside the object layout',
    ],
    [
      'an entry the index does not list',
      [
        {
          header: { name: 'resources/core/v1/configmaps/namespaces/a/b.json', type: 'file', size: 2 } as tar.Header,
          body: Buffer.from('{}'),
        },
      ],
      'does not match the index',
    ],
  ])('refuses %s before handing out any object', async (_what, entries, message) => {
    const manifest = await storeForged(storage, entries, '');
    const handed: string[] = [];
    await expect(
      readVerifiedArchive({
        storage,
        root,
        manifest,
        key: undefined,
        workDir: dir,
        onObject: (ref) => {
          handed.push(ref.name);
        },
      }),
    ).rejects.toThrow(message);
    expect(handed).toEqual([]);
  });

  it('refuses an object whose sha256 differs from its index line', async () => {
    const body = Buffer.from('{"metadata":{"name":"b","namespace":"a"}}');
    const name = 'resources/core/v1/configmaps/namespaces/a/b.json';
    const index = `${JSON.stringify({ path: name, sha256: sha(Buffer.from('{"other":1}')), size: body.length })}\n`;
    const manifest = await storeForged(
      storage,
      [{ header: { name, type: 'file', size: body.length } as tar.Header, body }],
      index,
    );
    await expect(
      readVerifiedArchive({ storage, root, manifest, key: undefined, workDir: dir, onObject: () => undefined }),
    ).rejects.toThrow('does not match the index');
  });
});
