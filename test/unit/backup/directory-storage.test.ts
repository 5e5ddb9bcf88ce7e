import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteBackup, findIncomplete, listBackups, resolveBackup } from '../../../backup/catalog.ts';
import { readManifest, writeManifest, type Manifest } from '../../../backup/manifest.ts';
import { pruneBackups } from '../../../backup/prune.ts';
import { DirectoryStorage } from '../../../backup/storage/directory.ts';
import { newBackupId, objectKey } from '../../../backup/storage/layout.ts';

let dir: string;
let storage: DirectoryStorage;
const root = { prefix: 'wk', cluster: 'test' };
const logger = pino({ level: 'silent' });

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wk-dir-storage-'));
  storage = new DirectoryStorage(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function allFiles(d: string): Promise<string[]> {
  return (await readdir(d, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function manifestFor(id: string, name: string): Manifest {
  return {
    formatVersion: 1,
    id,
    name,
    kind: 'etcd',
    cluster: 'test',
    startedAt: new Date().toISOString(),
    completedAt: new Date().toISOString(),
    watchkeeperVersion: '0',
    objects: [],
  };
}

async function addBackup(name: string, at: Date, complete = true): Promise<string> {
  const id = newBackupId(name, at);
  await storage.put(objectKey(root, 'etcd', id, 'etcd-snapshot.db'), Readable.from([Buffer.from('db')]));
  if (complete) await writeManifest(storage, root, manifestFor(id, name));
  return id;
}

describe('DirectoryStorage', () => {
  it('puts, heads, gets, lists and deletes objects', async () => {
    const result = await storage.put('a/b/c.txt', Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    expect(result).toEqual({ key: 'a/b/c.txt', size: 11 });
    await storage.put('a/d.txt', Readable.from([Buffer.from('x')]));
    expect((await storage.head('a/b/c.txt'))?.size).toBe(11);
    expect(await storage.head('a/b/nope')).toBeUndefined();
    expect(await text(await storage.get('a/b/c.txt'))).toBe('hello world');
    const listed = [];
    for await (const o of storage.list('a/')) listed.push(o.key);
    expect(listed.sort()).toEqual(['a/b/c.txt', 'a/d.txt']);
    await storage.delete('a/b/c.txt');
    await storage.delete('a/b/c.txt');
    expect(await allFiles(dir)).toEqual(['a/d.txt']);
    await expect(storage.get('a/b/c.txt')).rejects.toThrow(/does not exist/);
  });

  it('leaves nothing behind when the body fails half way', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(1000);
      throw new Error('source broke');
    }
    await expect(storage.put('x/y.bin', Readable.from(failing()))).rejects.toThrow(/storing x\/y.bin.*source broke/);
    expect(await allFiles(dir)).toEqual([]);
    expect(await storage.head('x/y.bin')).toBeUndefined();
  });

  it('rejects keys that would leave the root', async () => {
    await expect(storage.put('../evil', Readable.from([Buffer.from('x')]))).rejects.toThrow(/invalid object key/);
  });
});

describe('catalog and prune on directory storage', () => {
  it('lists only backups whose manifest exists, and resolves latest per name', async () => {
    const a = await addBackup('daily', new Date('2026-01-01T00:00:00Z'));
    const b = await addBackup('hourly', new Date('2026-01-02T00:00:00Z'));
    await addBackup('daily', new Date('2026-01-03T00:00:00Z'), false);
    expect((await listBackups(storage, root, 'etcd')).map((e) => e.id)).toEqual([a, b]);
    expect((await resolveBackup(storage, root, 'etcd', 'latest')).id).toBe(b);
    expect((await resolveBackup(storage, root, 'etcd', 'latest', 'daily')).id).toBe(a);
    expect((await readManifest(storage, root, 'etcd', a)).name).toBe('daily');
    await expect(resolveBackup(storage, root, 'etcd', '20260101T000000Z-daily-ffff')).rejects.toThrow(/does not exist/);
    await expect(resolveBackup(storage, root, 'etcd', 'garbage')).rejects.toThrow(/is not a backup id/);
    await expect(resolveBackup(storage, root, 'etcd', 'latest', 'weekly')).rejects.toThrow(
      /no etcd backup named weekly/,
    );
    expect((await findIncomplete(storage, root, 'etcd')).length).toBe(1);
    await deleteBackup(storage, root, 'etcd', a);
    expect((await listBackups(storage, root, 'etcd')).map((e) => e.id)).toEqual([b]);
  });

  it('prunes by policy, dry run first, and removes day-old leftovers of failed runs', async () => {
    const ids = [];
    for (let d = 1; d <= 5; d++) ids.push(await addBackup('daily', new Date(`2026-01-0${d}T00:00:00Z`)));
    const other = await addBackup('hourly', new Date('2026-01-01T05:00:00Z'));
    const failed = await addBackup('daily', new Date('2026-01-03T12:00:00Z'), false);
    const now = () => new Date('2026-01-06T00:00:00Z');
    const dry = await pruneBackups({
      storage,
      root,
      kind: 'etcd',
      name: 'daily',
      policy: { keepLast: 2 },
      dryRun: true,
      logger,
      now,
    });
    expect(dry.decision.remove.map((b) => b.id).sort()).toEqual(ids.slice(0, 3));
    expect(dry.incomplete).toEqual([failed]);
    expect((await listBackups(storage, root, 'etcd')).length).toBe(6);
    const real = await pruneBackups({
      storage,
      root,
      kind: 'etcd',
      name: 'daily',
      policy: { keepLast: 2 },
      dryRun: false,
      logger,
      now,
    });
    expect(real.deleted.sort()).toEqual(ids.slice(0, 3));
    expect((await listBackups(storage, root, 'etcd')).map((e) => e.id)).toEqual([other, ids[3], ids[4]].sort());
    expect(await findIncomplete(storage, root, 'etcd')).toEqual([]);
  });
});
