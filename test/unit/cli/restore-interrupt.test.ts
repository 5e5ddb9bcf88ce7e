import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeManifest } from '../../../backup/manifest.ts';
import { DirectoryStorage } from '../../../backup/storage/directory.ts';
import { newBackupId, objectKey } from '../../../backup/storage/layout.ts';
import { until } from '../../support/eventually.ts';

const node = path.resolve('node_modules/.bin/node');
let dir: string;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restore etcd interrupted by SIGINT', () => {
  it('writes the snapshot 0600 beside the target, removes it and exits 1, saying so', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wk-interrupt-'));
    const store = path.join(dir, 'store');
    const root = { prefix: 'wk', cluster: 'it' };
    const id = newBackupId('manual', new Date(Date.now() - 60_000));
    await writeManifest(new DirectoryStorage(store), root, {
      formatVersion: 2,
      id,
      name: 'manual',
      kind: 'etcd',
      cluster: 'it',
      startedAt: new Date().toISOString(),
      completedAt: new Date().toISOString(),
      watchkeeperVersion: 'test',
      objects: [
        {
          role: 'etcd-snapshot',
          file: 'etcd-snapshot.db',
          size: 1 << 20,
          sha256: 'a'.repeat(64),
          contentSize: 1 << 20,
          contentSha256: 'a'.repeat(64),
          compression: 'none',
          encryption: null,
        },
      ],
    });
    // The snapshot object is a named pipe: the download stays in the middle for as long as the test wants.
    const snapshot = path.join(store, objectKey(root, 'etcd', id, 'etcd-snapshot.db'));
    execFileSync('mkfifo', [snapshot]);
    const config = path.join(dir, 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        cluster: { name: 'it' },
        backup: { storage: { type: 'directory', directory: store, prefix: 'wk' } },
      }),
    );
    const target = path.join(dir, 'target');
    await mkdir(target);
    const child = spawn(
      node,
      ['cli/main.ts', 'restore', 'etcd', id, '--data-dir', path.join(target, 'data'), '--name', 'cp1', '-c', config],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = once(child, 'close');
    // Read-write: opening never blocks, and the reader never sees the end of the data while it is open.
    const writer = await open(snapshot, 'r+');
    await writer.write(Buffer.alloc(32 * 1024, 1));
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`the restore ended before it was interrupted: ${stderr}`);
      return (await readdir(target)).some((f) => f.startsWith('.watchkeeper-restore-'));
    }, 'the temporary snapshot is being written');
    // The decrypted data goes only beside the target, readable by its owner alone.
    const temp = (await readdir(target)).find((f) => f.startsWith('.watchkeeper-restore-'))!;
    expect((await stat(path.join(target, temp))).mode & 0o777).toBe(0o600);
    child.kill('SIGINT');
    await until(() => stderr.includes('interrupted'), 'the restore reports the interruption');
    // Only now may the pipe end: the process cannot exit while a read of it is blocked in a thread.
    await writer.close();
    const [code] = await exited;
    expect(stderr).toMatch(/the restore was interrupted; what it had written \(temporary files, .*\) was removed/);
    expect(code).toBe(1);
    expect(await readdir(target)).toEqual([]);
    expect(existsSync(path.join(target, 'data'))).toBe(false);
  });
});
