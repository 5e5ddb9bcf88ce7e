import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import tar from 'tar-stream';
import { WatchkeeperError } from '../../core/errors.ts';
import type { Manifest, StoredObject } from '../manifest.ts';
import { fetchVerified } from '../restore/fetch.ts';
import type { LayoutRoot } from '../storage/layout.ts';
import type { ObjectStorage } from '../storage/types.ts';
import type { IndexLine } from './archive-writer.ts';
import { parseEntryPath, type EntryRef } from './entry-path.ts';

/** The API server refuses objects above ~1.5 MiB; an entry far above that is forged or corrupt. */
const maxEntryBytes = 8 * 1024 * 1024;

/** Options of {@link readVerifiedArchive}. */
export interface ReadArchiveOptions {
  storage: ObjectStorage;
  root: LayoutRoot;
  manifest: Manifest;
  /** The configured key: required for encrypted backups; when set, a plaintext backup is refused. */
  key: Buffer | undefined;
  /**
   * With a key, still read a backup whose objects are plaintext or in the old WKBKENC1 format (the
   * caller read an unauthenticated manifest on purpose, e.g. `--allow-unauthenticated`).
   */
  allowUnauthenticated?: boolean | undefined;
  /** Aborts the downloads (SIGINT): the call rejects and the index file is removed. */
  signal?: AbortSignal | undefined;
  /** Private directory for the downloaded index (removed afterwards). */
  workDir: string;
  /** Called with each object, in archive order, after its own sha256 matched the index. */
  onObject: (ref: EntryRef, body: Buffer) => void | Promise<void>;
  onProgress?: (bytes: number, total: number) => void;
}

/**
 * Reads a whole API backup and checks everything before the caller may act on it: the index
 * (stored and content sha256 from the manifest), then the archive streamed through sha256 ->
 * decrypt -> decompress -> sha256 -> tar, each entry checked against the next index line (same
 * path, size and sha256, in the same order), links, directories and paths outside the layout
 * refused. The whole-archive hashes are only known at the end: callers must treat what
 * `onObject` received as unverified until this function resolves (it throws otherwise).
 */
export async function readVerifiedArchive(options: ReadArchiveOptions): Promise<{ objects: number }> {
  const { manifest } = options;
  const archive = storedObject(manifest, 'api-objects');
  const index = storedObject(manifest, 'api-index');
  const allowUnauthenticated = options.allowUnauthenticated === true;
  if (
    options.key !== undefined &&
    !allowUnauthenticated &&
    (archive.encryption === null || index.encryption === null)
  ) {
    throw new WatchkeeperError(
      'integrity',
      `backup ${manifest.id} is not encrypted but an encryption key is configured: refusing a plaintext backup (it may have been substituted)`,
    );
  }
  const indexFile = path.join(options.workDir, 'objects-index.jsonl');
  try {
    const fetchOptions = {
      storage: options.storage,
      root: options.root,
      manifest,
      key: options.key,
      allowUnauthenticated,
      signal: options.signal,
    };
    await fetchVerified({ ...fetchOptions, object: index }, createWriteStream(indexFile, { flags: 'wx', mode: 0o600 }));
    const lines = createInterface({ input: createReadStream(indexFile), crlfDelay: Infinity })[Symbol.asyncIterator]();
    let objects = 0;
    const sink = new TarEntrySink(async (header, body) => {
      if (header.type !== 'file')
        throw new WatchkeeperError(
          'integrity',
          `backup ${manifest.id}: the archive holds a ${header.type ?? 'non-file'} entry "${header.name.slice(0, 200)}"; only regular files are accepted`,
        );
      const ref = parseEntryPath(header.name);
      const next = await lines.next();
      const expected = next.done ? undefined : parseIndexLine(next.value, manifest.id);
      const sha256 = createHash('sha256').update(body).digest('hex');
      if (!expected || expected.path !== header.name || expected.size !== body.length || expected.sha256 !== sha256) {
        throw new WatchkeeperError(
          'integrity',
          `backup ${manifest.id}: object ${header.name} does not match the index (${expected ? `expected ${expected.path} with sha256 ${expected.sha256}` : 'the index ended'}, found sha256 ${sha256})`,
        );
      }
      objects++;
      await options.onObject(ref, body);
    });
    await fetchVerified(
      { ...fetchOptions, object: archive, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
      sink,
    );
    if (!(await lines.next()).done)
      throw new WatchkeeperError(
        'integrity',
        `backup ${manifest.id}: the index lists objects the archive does not hold`,
      );
    if (manifest.api && objects !== manifest.api.objectCount) {
      throw new WatchkeeperError(
        'integrity',
        `backup ${manifest.id}: the archive holds ${objects} objects, the manifest says ${manifest.api.objectCount}`,
      );
    }
    return { objects };
  } finally {
    await rm(indexFile, { force: true });
  }
}

function storedObject(manifest: Manifest, role: 'api-objects' | 'api-index'): StoredObject {
  const object = manifest.objects.find((o) => o.role === role);
  if (manifest.kind !== 'api' || !object)
    throw new WatchkeeperError(
      'integrity',
      `backup ${manifest.id} is not a complete API backup (no ${role} file in its manifest)`,
    );
  return object;
}

function parseIndexLine(line: string, id: string): IndexLine {
  try {
    const parsed = JSON.parse(line) as IndexLine;
    if (typeof parsed.path === 'string' && typeof parsed.sha256 === 'string' && typeof parsed.size === 'number')
      return parsed;
  } catch {
    // reported below
  }
  throw new WatchkeeperError('integrity', `backup ${id}: the index holds a line that is not an object record`);
}

/**
 * A Node Writable that parses the tar stream written into it and hands each entry, whole, to
 * `handle` (one at a time); a throw from `handle` fails the stream and so the pipeline.
 */
class TarEntrySink extends Writable {
  private readonly extract = tar.extract();
  private readonly consumed: Promise<void>;

  constructor(handle: (header: tar.Header, body: Buffer) => Promise<void>) {
    super();
    this.consumed = (async () => {
      for await (const entry of this.extract) {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > maxEntryBytes)
            throw new WatchkeeperError(
              'integrity',
              `archive entry ${entry.header.name.slice(0, 200)} is larger than ${maxEntryBytes} bytes`,
            );
          chunks.push(chunk);
        }
        await handle(entry.header, Buffer.concat(chunks, size));
      }
    })();
    this.consumed.catch((error: unknown) => {
      this.destroy(error as Error);
      this.extract.destroy();
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.extract.write(chunk)) done();
    else this.extract.once('drain', () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.extract.end(undefined);
    this.consumed.then(
      () => done(),
      (error: unknown) => done(error as Error),
    );
  }
}
