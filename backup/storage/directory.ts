import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WatchkeeperError, describeError } from '../../core/errors.ts';
import type { GetOptions, ObjectInfo, ObjectStorage, PutOptions, PutResult } from './types.ts';

/** Marks files being written; they are never listed and are removed when a put fails. */
const tempMarker = '.wk-tmp-';

/**
 * Object storage in a local (or mounted) directory: one file per key. A put writes a temporary
 * file, fsyncs it, renames it into place and fsyncs the directory, so a crash never leaves a
 * partial object under its final name.
 */
export class DirectoryStorage implements ObjectStorage {
  readonly location: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.location = `directory ${this.root}`;
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const file = this.fileOf(key);
    const dir = path.dirname(file);
    const temp = path.join(dir, `${tempMarker}${path.basename(file)}.${randomBytes(4).toString('hex')}`);
    let size = 0;
    try {
      await mkdir(dir, { recursive: true });
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          options.onProgress?.(size);
          done(null, chunk);
        },
      });
      await pipeline(
        body,
        counter,
        createWriteStream(temp, { flags: 'wx' }),
        options.signal ? { signal: options.signal } : {},
      );
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
      await syncDirectory(dir);
    } catch (error) {
      await rm(temp, { force: true });
      throw wrap(error, `storing ${key} in ${this.location}`);
    }
    return { key, size };
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const file = this.fileOf(key);
    const handle = await open(file, 'r').catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new WatchkeeperError('not_found', `${key} does not exist in ${this.location}`);
      throw wrap(error, `reading ${key} from ${this.location}`);
    });
    return createReadStream('', { fd: handle, ...(options.signal ? { signal: options.signal } : {}) });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const info = await stat(this.fileOf(key));
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR')
        return undefined;
      throw wrap(error, `reading ${key} from ${this.location}`);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Only the folders that can hold matching keys are walked.
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    yield* this.walk(base, prefix);
  }

  async delete(key: string): Promise<void> {
    const file = this.fileOf(key);
    try {
      await rm(file, { force: true });
    } catch (error) {
      throw wrap(error, `deleting ${key} from ${this.location}`);
    }
    // Empty folders left behind are removed up to the root, so listings stay fast.
    for (let dir = path.dirname(file); dir.startsWith(`${this.root}${path.sep}`); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  private async *walk(relDir: string, prefix: string): AsyncIterable<ObjectInfo> {
    let entries;
    try {
      entries = await readdir(path.join(this.root, relDir), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR')
        return;
      throw wrap(error, `listing ${prefix} in ${this.location}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(tempMarker)) continue;
      const key = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await stat(path.join(this.root, key)).catch(() => undefined);
        if (info) yield { key, size: info.size, lastModified: info.mtime };
      }
    }
  }

  private fileOf(key: string): string {
    const parts = key.split('/');
    if (key === '' || parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith(tempMarker))) {
      throw new WatchkeeperError('usage', `invalid object key "${key}"`);
    }
    return path.join(this.root, ...parts);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function wrap(error: unknown, what: string): Error {
  if (error instanceof WatchkeeperError) return error;
  return new WatchkeeperError('storage_failed', `${what}: ${describeError(error)}`, { cause: error });
}
