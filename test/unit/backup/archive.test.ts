import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveFiles, extractFiles } from '../../../backup/files/archive.ts';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'wk-archive-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('control-plane files archive', () => {
  it('archives directories recursively and extracts them under a target with their modes', async () => {
    const pki = path.join(dir, 'etc/kubernetes/pki');
    await mkdir(path.join(pki, 'etcd'), { recursive: true });
    await writeFile(path.join(pki, 'ca.crt'), 'CERT');
    await writeFile(path.join(pki, 'etcd/ca.key'), 'KEY');
    await chmod(path.join(pki, 'etcd/ca.key'), 0o600);
    await writeFile(path.join(dir, 'admin.conf'), 'kubeconfig');
    const { stream, files } = await archiveFiles([pki, path.join(dir, 'admin.conf')]);
    expect(files.map((f) => f.path).sort()).toEqual([path.join(dir, 'admin.conf'), path.join(pki, 'ca.crt'), path.join(pki, 'etcd/ca.key')].sort());
    const target = path.join(dir, 'restored');
    const written = await extractFiles(stream, target);
    expect(written.length).toBe(3);
    const restoredKey = path.join(target, pki, 'etcd/ca.key');
    expect(await readFile(restoredKey, 'utf8')).toBe('KEY');
    expect((await stat(restoredKey)).mode & 0o777).toBe(0o600);
  });

  it('fails before anything is archived when a file is missing', async () => {
    await expect(archiveFiles([path.join(dir, 'missing')])).rejects.toThrow(/control-plane file .*missing: cannot be read \(ENOENT\)/);
  });

  it('refuses an archive entry that points outside the target', async () => {
    const pack = tar.pack();
    pack.entry({ name: '../../escape.txt' }, 'x');
    pack.finalize();
    const source = new PassThrough();
    Readable.from(pack).pipe(source);
    await expect(extractFiles(source, path.join(dir, 't'))).rejects.toThrow(/outside the target/);
  });
});
