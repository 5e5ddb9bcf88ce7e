import { Transform, type TransformCallback } from 'node:stream';

/**
 * Joins small chunks (etcd sends 32 KiB messages) into chunks of about `size` bytes, so that the
 * stages after it (zlib on the thread pool, hashing, encryption) pay their per-chunk cost less
 * often. Holds at most `size` bytes.
 */
export class Rechunk extends Transform {
  private readonly size: number;
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(size = 1024 * 1024) {
    super();
    this.size = size;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= this.size) this.emitJoined();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.bytes > 0) this.emitJoined();
    done();
  }

  private emitJoined(): void {
    this.push(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.bytes));
    this.parts = [];
    this.bytes = 0;
  }
}
