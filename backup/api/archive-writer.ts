import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import tar from 'tar-stream';
import { describeError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { StoredObject } from '../manifest.ts';
import { apiArchiveFile, apiIndexFile, objectKey, type LayoutRoot } from '../storage/layout.ts';
import type { ObjectStorage } from '../storage/types.ts';
import { compressor, type Compression } from '../stream/compression.ts';
import { EncryptStream, encryptionAlgorithm, keyId } from '../stream/encryption.ts';
import { GcPacer } from '../stream/gc-pacer.ts';
import { HashMeter } from '../stream/meter.ts';
import { streamToStorage } from '../stream/store.ts';

/** One line of the index: an archived object, in archive order. */
export interface IndexLine {
  path: string;
  sha256: string;
  size: number;
}

/** Options of {@link ApiArchiveWriter}. */
export interface ArchiveWriterOptions {
  storage: ObjectStorage;
  root: LayoutRoot;
  id: string;
  compression: Compression;
  encryptionKey?: Buffer | undefined;
  /** Modification time written in every tar header (the backup's start), so archives are reproducible. */
  mtime: Date;
  signal?: AbortSignal | undefined;
  logger: Logger;
}

/** One stored stream: its key, content meter, stored meter and upload. */
interface Upload {
  file: string;
  key: string;
  content: HashMeter;
  stored: HashMeter;
  done: Promise<unknown>;
}

/**
 * Streams objects into the two stored files of an API backup as they arrive: the tar archive
 * (`resources.tar[.zst][.enc]`) and the index (`objects-index.jsonl...`: path, sha256 and size of
 * each entry, in the same order, so a restore checks both in one pass with constant memory).
 * Both go compress -> encrypt -> sha256 -> storage (multipart), exactly as part 1's files do.
 * Entries are written one at a time; concurrent callers of {@link add} wait their turn, which is
 * also the backpressure that keeps memory flat.
 */
export class ApiArchiveWriter {
  private readonly options: ArchiveWriterOptions;
  private readonly pack = tar.pack();
  private readonly index = new PassThrough();
  private readonly archive: Upload;
  private readonly indexUpload: Upload;
  private turn: Promise<void> = Promise.resolve();
  private readonly failure: Promise<never>;
  /** Objects written so far. */
  entries = 0;

  constructor(options: ArchiveWriterOptions) {
    this.options = options;
    const encrypted = options.encryptionKey !== undefined;
    // tar-stream makes streamx streams; Node's pipeline wants a Node stream.
    this.archive = this.upload(apiArchiveFile(options.compression, encrypted), Readable.from(this.pack));
    this.indexUpload = this.upload(apiIndexFile(options.compression, encrypted), this.index);
    this.failure = Promise.race([this.archive.done, this.indexUpload.done]).then(() => new Promise<never>(() => undefined));
    // Either upload failing ends every wait below; the rejection is observed by finish() or abort().
    this.failure.catch(() => undefined);
  }

  /** Adds one object (its JSON bytes) under `path`; resolves once it is in both streams. */
  add(path: string, body: Buffer): Promise<void> {
    const write = this.turn.then(() => this.write(path, body));
    this.turn = write.catch(() => undefined);
    return write;
  }

  /** Ends both streams and waits for both uploads; returns the manifest records of the two files. */
  async finish(): Promise<StoredObject[]> {
    await this.turn;
    this.pack.finalize();
    this.index.end();
    await Promise.all([this.archive.done, this.indexUpload.done]);
    const encryption = this.options.encryptionKey ? { algorithm: encryptionAlgorithm, keyId: keyId(this.options.encryptionKey) } : null;
    const record = (role: 'api-objects' | 'api-index', u: Upload): StoredObject => ({
      role, file: u.file, size: u.stored.bytes, sha256: u.stored.sha256(), contentSize: u.content.bytes, contentSha256: u.content.sha256(),
      compression: this.options.compression, encryption,
    });
    return [record('api-objects', this.archive), record('api-index', this.indexUpload)];
  }

  /** Stops both uploads and deletes whatever was stored (best effort, logged). */
  async abort(reason: Error): Promise<void> {
    this.pack.destroy(reason);
    this.index.destroy(reason);
    await Promise.allSettled([this.archive.done, this.indexUpload.done]);
    for (const key of [this.archive.key, this.indexUpload.key]) {
      await this.options.storage.delete(key).catch((error: unknown) => this.options.logger.warn({ key, err: error, error: describeError(error) }, 'Could not remove an object of the failed backup.'));
    }
  }

  private async write(path: string, body: Buffer): Promise<void> {
    const sha256 = createHash('sha256').update(body).digest('hex');
    const written = new Promise<void>((resolve, reject) => {
      this.pack.entry({ name: path, size: body.length, mode: 0o644, mtime: this.options.mtime, type: 'file' }, body, (error) => (error ? reject(error) : resolve()));
    });
    const line: IndexLine = { path, sha256, size: body.length };
    const indexReady = this.index.write(`${JSON.stringify(line)}\n`) ? Promise.resolve() : once(this.index, 'drain').then(() => undefined);
    await Promise.race([Promise.all([written, indexReady]), this.failure]);
    this.entries++;
  }

  private upload(file: string, source: Readable): Upload {
    const { storage, root, id, compression, encryptionKey, signal } = this.options;
    const key = objectKey(root, 'api', id, file);
    const content = new HashMeter();
    const stored = new HashMeter();
    const stages = [content, new GcPacer(), compressor(compression), ...(encryptionKey ? [new EncryptStream(encryptionKey)] : []), stored];
    const done = streamToStorage(storage, key, source, stages, { contentType: 'application/octet-stream', ...(signal ? { signal } : {}) });
    done.catch(() => undefined);
    return { file, key, content, stored, done };
  }
}
