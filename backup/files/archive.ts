import { lstat, mkdir, readFile, readdir, readlink, writeFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
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
      throw new WatchkeeperError('usage', `control-plane file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`);
    }
    const name = path.resolve(file).replace(/^\/+/, '');
    const common = { name, mode: info.mode & 0o7777, mtime: info.mtime, uid: info.uid, gid: info.gid };
    if (info.isDirectory()) {
      entries.push({ header: { ...common, type: 'directory' } });
      for (const child of (await readdir(file)).sort()) await visit(path.join(file, child));
    } else if (info.isSymbolicLink()) {
      entries.push({ header: { ...common, type: 'symlink', linkname: await readlink(file) } });
    } else if (info.isFile()) {
      if (info.size > maxFileBytes) throw new WatchkeeperError('usage', `control-plane file ${file} is ${info.size} bytes; files over ${maxFileBytes} bytes are not archived`);
      const content = await readFile(file).catch((error: unknown) => {
        throw new WatchkeeperError('usage', `control-plane file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`);
      });
      entries.push({ header: { ...common, type: 'file', size: content.length }, content });
      files.push({ path: `/${name}`, size: content.length });
    }
  };
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

/**
 * Extracts an archive made by {@link archiveFiles} under `targetDir` (never outside it), keeping
 * file modes. Returns the paths written, relative to `targetDir`.
 */
export async function extractFiles(archive: Readable, targetDir: string): Promise<string[]> {
  const root = path.resolve(targetDir);
  const written: string[] = [];
  const extract = tar.extract();
  const feed = async (): Promise<void> => {
    for await (const chunk of archive) {
      if (!extract.write(chunk as Buffer)) await once(extract as unknown as NodeJS.EventEmitter, 'drain');
    }
    extract.end(undefined);
  };
  feed().catch((error: unknown) => extract.destroy(error as Error));
  for await (const entry of extract) {
    const { header } = entry;
    const target = path.resolve(root, header.name);
    if (target !== root && !target.startsWith(`${root}${path.sep}`)) {
      entry.resume();
      throw new WatchkeeperError('integrity', `the files archive holds a path outside the target: ${header.name}`);
    }
    if (header.type === 'directory') {
      await mkdir(target, { recursive: true, mode: 0o700 });
      entry.resume();
    } else if (header.type === 'symlink' && header.linkname) {
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await symlink(header.linkname, target);
      written.push(header.name);
      entry.resume();
    } else if (header.type === 'file') {
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      await writeFile(target, Buffer.concat(chunks), { mode: (header.mode ?? 0o600) & 0o777, flag: 'wx' });
      written.push(header.name);
    } else {
      entry.resume();
    }
  }
  return written;
}
