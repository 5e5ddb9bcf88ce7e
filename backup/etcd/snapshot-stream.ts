import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { Etcd3, ISnapshotResponse } from 'etcd3';
import { WatchkeeperError } from '../../core/errors.ts';
import { etcdError } from './client.ts';

/** The part of etcd3's connection pool used to open the snapshot stream. */
interface SnapshotPool {
  withConnection<T>(service: 'Maintenance', fn: (args: { client: unknown; metadata: unknown }) => T): Promise<T>;
}

/** Length of the sha256 that etcd appends to the database it streams. */
export const etcdTrailerSize = 32;

/**
 * Opens the Maintenance snapshot stream of the member the client is bound to, as a byte stream
 * (the database followed by etcd's 32-byte sha256 trailer). Backpressure reaches gRPC: the
 * stream is read only as fast as the consumer takes it.
 */
export async function openSnapshotStream(client: Etcd3, endpoint: string): Promise<Readable> {
  let messages: AsyncIterable<ISnapshotResponse>;
  try {
    // etcd3 1.1.2's maintenance.snapshot() passes the auth metadata where gRPC expects the request,
    // so with etcd auth enabled the call carries no token and etcd refuses it. The stream is
    // opened here through the client's own connection pool, with the token sent as metadata.
    const pool = (client as unknown as { pool: SnapshotPool }).pool;
    messages = await pool.withConnection('Maintenance', ({ client: grpcClient, metadata }) => {
      const stream = (
        grpcClient as { snapshot(request: object, metadata: unknown): AsyncIterable<ISnapshotResponse> }
      ).snapshot({}, metadata);
      return stream;
    });
  } catch (error) {
    throw etcdError(endpoint, 'snapshot', error);
  }
  async function* blobs(): AsyncGenerator<Buffer> {
    try {
      for await (const message of messages) if (message.blob.length > 0) yield message.blob;
    } catch (error) {
      throw etcdError(endpoint, 'snapshot stream', error);
    }
  }
  return Readable.from(blobs(), { objectMode: false, highWaterMark: 1024 * 1024 });
}

/**
 * Passes an etcd snapshot through unchanged (trailer included, so that etcdutl can check it on
 * restore) while checking that its last 32 bytes are the sha256 of everything before them;
 * fails the stream at its end when they are not. The same single hash pass also gives the sha256
 * of the whole stream (the content hash of the manifest): the hash state of the database is
 * copied and fed the trailer, so the snapshot is hashed once, not twice.
 */
export class EtcdTrailerCheck extends Transform {
  /** Bytes of the database, without the trailer; valid after the stream ended. */
  dbBytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private tail: Buffer = Buffer.alloc(0);
  private digestHex = '';
  private contentDigestHex = '';
  private readonly onBytes: ((bytes: number) => void) | undefined;
  private seen = 0;

  /** `onBytes` is called with the running total of bytes passed (progress bars). */
  constructor(onBytes?: (bytes: number) => void) {
    super();
    this.onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (chunk.length >= etcdTrailerSize) {
      // The common case: hash what was held back and all but the chunk's last 32 bytes, no copy.
      this.hash.update(this.tail);
      this.hash.update(chunk.subarray(0, chunk.length - etcdTrailerSize));
      this.dbBytes += this.tail.length + chunk.length - etcdTrailerSize;
      this.tail = Buffer.from(chunk.subarray(chunk.length - etcdTrailerSize));
    } else {
      const joined = Buffer.concat([this.tail, chunk]);
      const cut = Math.max(0, joined.length - etcdTrailerSize);
      this.hash.update(joined.subarray(0, cut));
      this.dbBytes += cut;
      this.tail = joined.subarray(cut);
    }
    this.onBytes?.(this.seen);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.tail.length < etcdTrailerSize) {
      done(
        new WatchkeeperError(
          'integrity',
          `the etcd snapshot stream ended after ${this.dbBytes + this.tail.length} bytes, too short to hold its sha256`,
        ),
      );
      return;
    }
    this.contentDigestHex = this.hash.copy().update(this.tail).digest('hex');
    const digest = this.hash.digest();
    this.digestHex = digest.toString('hex');
    if (!digest.equals(this.tail)) {
      done(
        new WatchkeeperError(
          'integrity',
          `the etcd snapshot is corrupted: its sha256 is ${this.digestHex} but etcd sent ${this.tail.toString('hex')}`,
        ),
      );
      return;
    }
    done();
  }

  /** Hex sha256 of the database as etcd computed it (the trailer); valid after the stream ended. */
  sha256(): string {
    return this.digestHex;
  }

  /** Bytes of the whole stream, trailer included. */
  get contentBytes(): number {
    return this.seen;
  }

  /** Hex sha256 of the whole stream, trailer included; valid after the stream ended. */
  contentSha256(): string {
    return this.contentDigestHex;
  }
}
