import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { ByteReader } from './byte-reader.ts';

/**
 * Reads a gzip file as if it were the plain file, at increasing positions only: a rotated
 * generation that kubelet (or logrotate with `compress`) compressed before it was read to its end.
 * Reading at a position ahead of the current one skips the bytes between.
 */
export class GzipReader implements ByteReader {
  private readonly stream: NodeJS.ReadableStream & { destroy(): void };
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  private position = 0;
  private done = false;

  /**
   * Opens the file before it returns: from then on the descriptor keeps it readable, even when the
   * rotation deletes it (a stream would open it later, maybe too late).
   */
  static async open(path: string): Promise<GzipReader> {
    return new GzipReader(await open(path, 'r'));
  }

  /** Reads through an open descriptor (it is closed with the reader). */
  static of(handle: FileHandle): GzipReader {
    return new GzipReader(handle);
  }

  private constructor(handle: FileHandle) {
    const gunzip = createGunzip();
    const file = createReadStream('', { fd: handle, start: 0 });
    file.on('error', (error) => gunzip.destroy(error));
    this.stream = file.pipe(gunzip);
    this.chunks = (gunzip as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (position < this.position)
      throw new Error(`gzip file read backwards (at ${this.position}, asked for ${position})`);
    for (;;) {
      if (this.pending.length === 0) {
        if (this.done) return 0;
        const next = await this.chunks.next();
        if (next.done) {
          this.done = true;
          return 0;
        }
        this.pending = next.value;
        continue;
      }
      if (position > this.position) {
        const skip = Math.min(this.pending.length, position - this.position);
        this.pending = this.pending.subarray(skip);
        this.position += skip;
        continue;
      }
      const n = this.pending.copy(buf, offset, 0, Math.min(length, this.pending.length));
      this.pending = this.pending.subarray(n);
      this.position += n;
      return n;
    }
  }

  close(): Promise<void> {
    this.stream.destroy();
    return Promise.resolve();
  }
}
