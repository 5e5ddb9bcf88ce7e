import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A pass-through stream that counts bytes and computes their sha256 on the way. */
export class HashMeter extends Transform {
  /** Bytes passed so far. */
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private digestHex: string | undefined;
  private readonly onBytes: ((bytes: number) => void) | undefined;

  /** `onBytes` is called with the running total after each chunk (progress bars). */
  constructor(onBytes?: (bytes: number) => void) {
    super();
    this.onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }

  /** Hex sha256 of everything that passed; only valid once the stream has ended. */
  sha256(): string {
    this.digestHex ??= this.hash.digest('hex');
    return this.digestHex;
  }
}
