import { createWriteStream } from 'node:fs';
import { chmod, chown, lstat, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { WatchkeeperError, describeError } from '../../core/errors.ts';

/** Control-plane files are small (certificates, keys, kubeconfigs); a bigger file is a mistake. */
const maxFileBytes = 16 * 1024 * 1024;

/** One archived file. */
export interface ArchivedFile {
  /** Absolute path on the host. */
  path: string;
  size: number;
}

/**
 * Collects the given files and directories (recursively) and returns them as a tar stream with
 * paths relative to "/" (e.g. etc/kubernetes/pki/ca.crt), plus the list of what it holds.
 * Everything is read up front, one file at a time, so a missing file fails before any upload.
 */
export async function archiveFiles(paths: readonly string[]): Promise<{ stream: Readable; files: ArchivedFile[] }> {
  const entries: { header: Partial<tar.Header> & { name: string }; content?: Buffer }[] = [];
  const files: ArchivedFile[] = [];
  const visit = async (file: string): Promise<void> => {
    let info;
    try {
      info = await lstat(file);
    } catch (error) {
      throw new WatchkeeperError(
        'usage',
        `control-plane file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`,
      );
    }
    const name = path.resolve(file).replace(/^\/+/, '');
    const common = { name, mode: info.mode & 0o7777, mtime: info.mtime, uid: info.uid, gid: info.gid };
    if (info.isDirectory()) {
      entries.push({ header: { ...common, type: 'directory' } });
      for (const child of (await readdir(file)).sort()) await visit(path.join(file, child));
    } else if (info.isSymbolicLink()) {
      // Restores extract no links: a link to a file is archived as the file it points to.
      const target = await stat(file).catch(() => undefined);
      if (!target?.isFile()) {
        throw new WatchkeeperError(
          'usage',
          `control-plane file ${file} is a link to something other than a file; list its target instead`,
        );
      }
      const followed = { ...common, mode: target.mode & 0o7777, uid: target.uid, gid: target.gid };
      await visitFile(file, name, followed, target.size);
    } else if (info.isFile()) {
      await visitFile(file, name, common, info.size);
    }
  };
  async function visitFile(
    file: string,
    name: string,
    header: Partial<tar.Header> & { name: string },
    size: number,
  ): Promise<void> {
    if (size > maxFileBytes) {
      throw new WatchkeeperError(
        'usage',
        `control-plane file ${file} is ${size} bytes; files over ${maxFileBytes} bytes are not archived`,
      );
    }
    const content = await readFile(file).catch((error: unknown) => {
      throw new WatchkeeperError(
        'usage',
        `control-plane file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`,
      );
    });
    entries.push({ header: { ...header, type: 'file', size: content.length }, content });
    files.push({ path: `/${name}`, size: content.length });
  }
  for (const p of paths) await visit(path.resolve(p));
  const pack = tar.pack();
  const writeAll = async (): Promise<void> => {
    for (const entry of entries) {
      await new Promise<void>((resolve, reject) => {
        pack.entry(entry.header, entry.content ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve()));
      });
    }
    pack.finalize();
  };
  writeAll().catch((error: unknown) => pack.destroy(error as Error));
  // tar-stream makes streamx streams; Node's pipeline wants a Node stream.
  return { stream: Readable.from(pack), files };
}

/** A directory created by an extraction: the mode and owner it gets once its content is written (-1: none). */
interface CreatedDirectory {
  mode: number;
  uid?: number | undefined;
  gid?: number | undefined;
}

/** What {@link extractFiles} may do with owners. */
export interface ExtractOptions {
  /** Give files and directories their archived owner (uid/gid); default: when running as root. */
  keepOwner?: boolean;
}

/**
 * Extracts an archive made by {@link archiveFiles} under `targetDir`, which must be new or empty.
 * Give it only an archive whose whole content was verified (restore checks the hash first).
 * Only regular files and directories are extracted, with their permission bits (setuid, setgid
 * and sticky dropped) and, as root, their owner. Refused, before anything of that entry is
 * written: links (symbolic or hard) and other special entries, absolute names, `..`, and any
 * entry whose parent is not a directory this extraction created itself; files are created
 * exclusively, never through an existing path. A failure stops reading the archive at once
 * (the source is destroyed) and leaves the caller to remove what was written. Returns the paths
 * written, relative to `targetDir`.
 */
export async function extractFiles(
  archive: Readable,
  targetDir: string,
  options: ExtractOptions = {},
): Promise<string[]> {
  const root = path.resolve(targetDir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const keepOwner = options.keepOwner ?? process.getuid?.() === 0;
  const written: string[] = [];
  /** Directories created by this extraction (relative), with the mode and owner to give them at the end. */
  const created = new Map<string, CreatedDirectory>([['', { mode: -1 }]]);
  const extract = tar.extract();
  // Fed by hand: Node's pipeline() throws an uncaught "premature close" when a streamx stream is destroyed early.
  archive.on('data', (chunk: Buffer) => {
    if (!extract.write(chunk)) archive.pause();
  });
  extract.on('drain', () => archive.resume());
  archive.once('end', () => extract.end(undefined));
  archive.once('error', (error) => extract.destroy(error));
  try {
    for await (const entry of extract) {
      const { header } = entry;
      const name = checkedName(header.name);
      const parts = name.split('/');
      const parent = parts.slice(0, -1);
      // Parents missing from the archive (a file archived alone) are created here, as plain directories.
      for (let i = 1; i <= parent.length; i++) {
        await createDirectory(root, created, parent.slice(0, i).join('/'), header.name);
      }
      const target = path.join(root, ...parts);
      const mode = (header.mode ?? 0o600) & 0o777;
      const owner = keepOwner ? { uid: header.uid, gid: header.gid } : {};
      if (header.type === 'directory') {
        await createDirectory(root, created, name, header.name);
        created.set(name, { mode, ...owner });
        entry.resume();
      } else if (header.type === 'file') {
        const size = header.size ?? 0;
        if (size > maxFileBytes) throw refused(header.name, `is ${size} bytes, over ${maxFileBytes}`);
        // wx: exclusive create, never through a link or over something already there.
        await pipeline(entry, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
        if (keepOwner && header.uid !== undefined && header.gid !== undefined) {
          await chown(target, header.uid, header.gid);
        }
        await chmod(target, mode);
        written.push(name);
      } else {
        const what = `${header.type ?? 'special entry'}${header.linkname ? ` to ${header.linkname}` : ''}`;
        throw refused(header.name, `is a ${what}; only files and directories are extracted`);
      }
    }
  } catch (error) {
    archive.destroy();
    extract.destroy();
    throw error;
  }
  // Directory modes last, deepest first, so a read-only directory does not block its own content.
  for (const [name, dir] of [...created].filter(([n]) => n !== '').reverse()) {
    const target = path.join(root, ...name.split('/'));
    if (keepOwner && dir.uid !== undefined && dir.gid !== undefined) await chown(target, dir.uid, dir.gid);
    if (dir.mode >= 0) await chmod(target, dir.mode);
  }
  return written;
}

/** An entry name that stays under the target: relative, no `..`, no empty or odd segments. */
function checkedName(raw: string): string {
  const name = raw.replace(/\/+$/, '');
  if (name === '' || name.startsWith('/')) throw refused(raw, 'has an absolute or empty name');
  if (name.includes('\0') || name.includes('\\')) throw refused(raw, 'has a name with a NUL or backslash');
  const parts = name.split('/');
  if (parts.some((p) => p === '..')) throw refused(raw, 'is outside the target (it has a ".." segment)');
  if (parts.some((p) => p === '' || p === '.')) throw refused(raw, 'has an empty or "." segment in its name');
  return name;
}

/** Creates one directory under root unless this extraction already did; anything else already there is refused. */
async function createDirectory(
  root: string,
  created: Map<string, CreatedDirectory>,
  name: string,
  entryName: string,
): Promise<void> {
  if (created.has(name)) return;
  try {
    await mkdir(path.join(root, ...name.split('/')), { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw refused(entryName, `needs the directory ${name}, which the archive already used for something else`);
    }
    throw error;
  }
  created.set(name, { mode: -1 });
}

function refused(name: string, why: string): WatchkeeperError {
  return new WatchkeeperError('integrity', `the files archive entry ${JSON.stringify(name)} ${why}: refused`);
}
