import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { WatchkeeperError } from '../../core/errors.ts';

/**
 * watchkeeper's streamed encryption format, "WKBKENC2" (documented in docs/backup.md):
 *
 *   header: magic "WKBKENC2" (8) | key id (8) | salt (32) | chunk size, uint32 BE (4)
 *   frames: flag (1: 0 = more follow, 1 = final) | plaintext length, uint32 BE (4) | ciphertext | GCM tag (16)
 *
 * Each stream gets its own AES-256-GCM key, HKDF-SHA256(master key, salt, "watchkeeper backup
 * encryption v2" | 0x00 | context), where the context names what the stream is (cluster, kind,
 * backup id and object role, see {@link encryptionContext}): a stream copied to another backup
 * or another role derives another key and fails its first frame. Frame i uses the nonce
 * 0x000000 | i as uint64 BE | flag, and the header plus the frame's first 5 bytes as additional
 * data. So a changed, dropped, reordered or appended frame fails its tag, and a stream cut after
 * any frame lacks the final flag: tampering and truncation are both detected. Every frame but
 * the last holds exactly `chunk size` plaintext bytes.
 *
 * "WKBKENC1" (watchkeeper 0.1) is the same without the context (info "watchkeeper backup
 * encryption v1"); it is read only when the caller allows legacy streams.
 */

/** Name of the format, recorded in manifests. */
export const encryptionAlgorithm = 'WKBKENC2-AES-256-GCM';

/** Name of the previous format (no context bound), as recorded in format 1 manifests. */
export const legacyEncryptionAlgorithm = 'WKBKENC1-AES-256-GCM';

const magic = Buffer.from('WKBKENC2', 'ascii');
const legacyMagic = Buffer.from('WKBKENC1', 'ascii');
const headerSize = 8 + 8 + 32 + 4;
const frameHeaderSize = 5;
const tagSize = 16;
const defaultChunkSize = 64 * 1024;
const maxChunkSize = 4 * 1024 * 1024;
const info = Buffer.from('watchkeeper backup encryption v2', 'ascii');
const legacyInfo = Buffer.from('watchkeeper backup encryption v1', 'ascii');

/**
 * The context a stored object is bound to: the same bytes under another cluster, kind, backup id
 * or role do not decrypt. Built from the manifest's own fields on both sides.
 */
export function encryptionContext(cluster: string, kind: string, backupId: string, role: string): string {
  return JSON.stringify(['watchkeeper object', cluster, kind, backupId, role]);
}

/** Options of {@link DecryptStream}. */
export interface DecryptOptions {
  /** What the stream must have been encrypted for (see {@link encryptionContext}); default: none (''). */
  context?: string;
  /** Also read WKBKENC1 streams, which bind no context (backups of watchkeeper 0.1). */
  allowLegacy?: boolean;
}

/** Short public fingerprint of a key (16 hex characters), stored to tell which key a backup needs. */
export function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('watchkeeper key id').digest().subarray(0, 8).toString('hex');
}

function streamKey(key: Buffer, salt: Buffer, context: string | undefined): Buffer {
  const streamInfo =
    context === undefined ? legacyInfo : Buffer.concat([info, Buffer.from([0]), Buffer.from(context, 'utf8')]);
  // HKDF's info is limited to 1024 bytes; a context is a few ids, far below that.
  if (streamInfo.length > 1024) throw new WatchkeeperError('usage', 'the encryption context is too long');
  return Buffer.from(hkdfSync('sha256', key, salt, streamInfo, 32));
}

function nonce(counter: bigint, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(counter, 3);
  n[11] = final ? 1 : 0;
  return n;
}

function assertKey(key: Buffer): void {
  if (key.length !== 32) throw new WatchkeeperError('usage', `an encryption key must be 32 bytes, found ${key.length}`);
}

/** Encrypts a byte stream into the WKBKENC2 format, bound to `context` (see {@link encryptionContext}). */
export class EncryptStream extends Transform {
  private readonly key: Buffer;
  private readonly header: Buffer;
  private readonly chunkSize: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private counter = 0n;

  constructor(masterKey: Buffer, chunkSize = defaultChunkSize, context = '') {
    super();
    assertKey(masterKey);
    const salt = randomBytes(32);
    this.chunkSize = chunkSize;
    this.key = streamKey(masterKey, salt, context);
    this.header = Buffer.alloc(headerSize);
    magic.copy(this.header, 0);
    Buffer.from(keyId(masterKey), 'hex').copy(this.header, 8);
    salt.copy(this.header, 16);
    this.header.writeUInt32BE(chunkSize, 48);
    this.push(this.header);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // A full chunk goes out only once more data follows it: the last frame must carry the final flag.
    while (this.pendingBytes > this.chunkSize) this.push(this.seal(this.takePending(this.chunkSize), false));
    done();
  }

  override _flush(done: TransformCallback): void {
    this.push(this.seal(this.takePending(this.pendingBytes), true));
    done();
  }

  private takePending(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }

  private seal(plain: Buffer, final: boolean): Buffer {
    const frameHeader = Buffer.alloc(frameHeaderSize);
    frameHeader[0] = final ? 1 : 0;
    frameHeader.writeUInt32BE(plain.length, 1);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce(this.counter++, final));
    cipher.setAAD(Buffer.concat([this.header, frameHeader]));
    const body = Buffer.concat([frameHeader, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return body;
  }
}

/**
 * Decrypts a WKBKENC2 stream encrypted for `options.context`; fails on a wrong key, another
 * context, any tampering, truncation or trailing data, and on WKBKENC1 unless allowed.
 */
export class DecryptStream extends Transform {
  private readonly masterKey: Buffer;
  private readonly context: string;
  private readonly allowLegacy: boolean;
  private key: Buffer | undefined;
  private header: Buffer | undefined;
  private chunkSize = 0;
  private buffer: Buffer = Buffer.alloc(0);
  private counter = 0n;
  private finished = false;

  constructor(masterKey: Buffer, options: DecryptOptions = {}) {
    super();
    assertKey(masterKey);
    this.masterKey = masterKey;
    this.context = options.context ?? '';
    this.allowLegacy = options.allowLegacy === true;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    try {
      this.drain();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (!this.header) {
      done(integrity('the encrypted data is truncated: its header is incomplete'));
      return;
    }
    if (!this.finished) {
      done(integrity('the encrypted data is truncated: its final frame is missing'));
      return;
    }
    if (this.buffer.length > 0) {
      done(integrity('the encrypted data has bytes after its final frame'));
      return;
    }
    done();
  }

  private drain(): void {
    if (!this.header) {
      if (this.buffer.length < headerSize) return;
      const header = this.buffer.subarray(0, headerSize);
      const legacy = header.subarray(0, 8).equals(legacyMagic);
      if (legacy && !this.allowLegacy) {
        throw integrity(
          'the data is in the old WKBKENC1 format, which binds no backup id or role: refused where WKBKENC2 is expected',
        );
      }
      if (!legacy && !header.subarray(0, 8).equals(magic))
        throw integrity("the data is not in watchkeeper's encrypted format (bad magic)");
      const id = header.subarray(8, 16).toString('hex');
      const expected = keyId(this.masterKey);
      if (id !== expected) {
        throw new WatchkeeperError(
          'integrity',
          `wrong decryption key: the data was encrypted with key id ${id}, the given key has id ${expected}`,
        );
      }
      this.chunkSize = header.readUInt32BE(48);
      if (this.chunkSize === 0 || this.chunkSize > maxChunkSize)
        throw integrity(`the encrypted data has an invalid chunk size ${this.chunkSize}`);
      this.header = Buffer.from(header);
      this.key = streamKey(this.masterKey, header.subarray(16, 48), legacy ? undefined : this.context);
      this.buffer = this.buffer.subarray(headerSize);
    }
    while (this.buffer.length >= frameHeaderSize) {
      if (this.finished) throw integrity('the encrypted data has bytes after its final frame');
      const flag = this.buffer[0]!;
      const length = this.buffer.readUInt32BE(1);
      if (flag > 1 || length > this.chunkSize || (flag === 0 && length !== this.chunkSize)) {
        throw integrity(`the encrypted data is corrupted (bad frame ${this.counter} header)`);
      }
      const frameSize = frameHeaderSize + length + tagSize;
      if (this.buffer.length < frameSize) return;
      const frameHeader = this.buffer.subarray(0, frameHeaderSize);
      const decipher = createDecipheriv('aes-256-gcm', this.key!, nonce(this.counter, flag === 1));
      decipher.setAAD(Buffer.concat([this.header, frameHeader]));
      decipher.setAuthTag(this.buffer.subarray(frameHeaderSize + length, frameSize));
      let plain: Buffer;
      try {
        plain = Buffer.concat([
          decipher.update(this.buffer.subarray(frameHeaderSize, frameHeaderSize + length)),
          decipher.final(),
        ]);
      } catch {
        throw integrity(
          `the encrypted data was modified, is corrupted or belongs to another backup or file (frame ${this.counter} fails authentication)`,
        );
      }
      this.counter++;
      this.buffer = this.buffer.subarray(frameSize);
      if (flag === 1) this.finished = true;
      if (plain.length > 0) this.push(plain);
    }
  }
}

function integrity(message: string): WatchkeeperError {
  return new WatchkeeperError('integrity', message);
}
