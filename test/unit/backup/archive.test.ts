import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveFiles, extractFiles } from '../../../backup/files/archive.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wk-archive-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('control-plane files archive', () => {
  it('archives directories recursively and extracts them under a target with their modes', async () => {
    const pki = path.join(dir, 'etc/kubernetes/pki');
    await mkdir(path.join(pki, 'etcd'), { recursive: true });
    await writeFile(path.join(pki, 'ca.crt'), 'CERT');
    await writeFile(path.join(pki, 'etcd/ca.key'), 'KEY');
    await chmod(path.join(pki, 'etcd/ca.key'), 0o600);
    await writeFile(path.join(dir, 'admin.conf'), 'kubeconfig');
    const { stream, files } = await archiveFiles([pki, path.join(dir, 'admin.conf')]);
    expect(files.map((f) => f.path).sort()).toEqual(
      [path.join(dir, 'admin.conf'), path.join(pki, 'ca.crt'), path.join(pki, 'etcd/ca.key')].sort(),
    );
    const target = path.join(dir, 'restored');
    const written = await extractFiles(stream, target);
    expect(written.length).toBe(3);
    const restoredKey = path.join(target, pki, 'etcd/ca.key');
    expect(await readFile(restoredKey, 'utf8')).toBe('KEY');
    expect((await stat(restoredKey)).mode & 0o777).toBe(0o600);
  });

  it('fails before anything is archived when a file is missing', async () => {
    await expect(archiveFiles([path.join(dir, 'missing')])).rejects.toThrow(
      /control-plane file .*missing: cannot be read \(ENOENT\)/,
    );
  });

  it('archives a link to a file as that file, and refuses a link to a directory', async () => {
    await writeFile(path.join(dir, 'real.conf'), 'content');
    await symlink(path.join(dir, 'real.conf'), path.join(dir, 'link.conf'));
    const { stream, files } = await archiveFiles([path.join(dir, 'link.conf')]);
    expect(files.map((f) => f.path)).toEqual([path.join(dir, 'link.conf')]);
    const target = path.join(dir, 'restored');
    await extractFiles(stream, target);
    const restored = path.join(target, dir, 'link.conf');
    expect((await lstat(restored)).isFile()).toBe(true);
    expect(await readFile(restored, 'utf8')).toBe('content');
    await mkdir(path.join(dir, 'd'));
    await symlink(path.join(dir, 'd'), path.join(dir, 'dlink'));
    await expect(archiveFiles([path.join(dir, 'dlink')])).rejects.toThrow(/is a link to something other than a file/);
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

/** A tar stream of the given entries, as an attacker with bucket write access (and the key) could make. */
function archiveOf(entries: { header: Partial<tar.Header> & { name: string }; content?: string }[]): Readable {
  const pack = tar.pack();
  for (const e of entries) pack.entry(e.header, e.content ?? '');
  pack.finalize();
  return Readable.from(pack);
}

describe('control-plane files extraction refuses what could write outside the target', () => {
  const attacks: [string, { header: Partial<tar.Header> & { name: string }; content?: string }[], RegExp][] = [
    [
      'a symlink, then a file through it',
      [
        { header: { name: 'etc/kubernetes', type: 'symlink', linkname: '/etc' } },
        { header: { name: 'etc/kubernetes/manifests/x.yaml' }, content: 'evil' },
      ],
      /"etc\/kubernetes" is a symlink to \/etc; only files and directories/,
    ],
    [
      'a hard link',
      [{ header: { name: 'etc/shadow-copy', type: 'link', linkname: '/etc/shadow' } }],
      /is a link to \/etc\/shadow/,
    ],
    ['an absolute name', [{ header: { name: '/etc/cron.d/evil' }, content: 'x' }], /has an absolute or empty name/],
    ['a ".." segment inside a name', [{ header: { name: 'etc/../../evil' }, content: 'x' }], /has a "\.\." segment/],
    [
      'a file under a file',
      [
        { header: { name: 'etc/a' }, content: 'x' },
        { header: { name: 'etc/a/b' }, content: 'y' },
      ],
      /needs the directory etc\/a, which the archive already used/,
    ],
    [
      'the same file twice',
      [
        { header: { name: 'etc/a' }, content: 'x' },
        { header: { name: 'etc/a' }, content: 'y' },
      ],
      /EEXIST/,
    ],
    ['a device', [{ header: { name: 'dev/sda', type: 'block-device' } }], /is a block-device/],
  ];
  for (const [what, entries, message] of attacks) {
    it(`refuses ${what}, writes nothing outside the target and does not hang`, async () => {
      const target = path.join(dir, 'target');
      await expect(extractFiles(archiveOf(entries), target)).rejects.toThrow(message);
      expect(await readdir(dir)).toEqual(['target']);
      for (const entry of await readdir(target, { recursive: true, withFileTypes: true }))
        expect(entry.isSymbolicLink()).toBe(false);
    });
  }

  it('stops reading the archive at the first refused entry (the source is destroyed, not left waiting)', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const source = archiveOf([
      { header: { name: '/abs' }, content: 'x' },
      ...Array.from({ length: 20 }, (_, i) => ({ header: { name: `f${i}` }, content: big })),
    ]);
    await expect(extractFiles(source, path.join(dir, 'target'))).rejects.toThrow(/absolute/);
    expect(source.destroyed).toBe(true);
  });

  it('keeps permission bits, drops setuid, and gives read-only directories their mode only after their content', async () => {
    const target = path.join(dir, 'target');
    await extractFiles(
      archiveOf([
        { header: { name: 'etc/ro', type: 'directory', mode: 0o500 } },
        { header: { name: 'etc/ro/key', mode: 0o4600 }, content: 'k' },
      ]),
      target,
    );
    expect((await stat(path.join(target, 'etc/ro'))).mode & 0o7777).toBe(0o500);
    expect((await stat(path.join(target, 'etc/ro/key'))).mode & 0o7777).toBe(0o600);
    await chmod(path.join(target, 'etc/ro'), 0o700);
  });
});
