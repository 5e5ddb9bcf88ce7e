import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { basename, dirname, join } from 'node:path';
import { FileReader, type ByteReader } from './byte-reader.ts';
import { GzipReader } from './gzip-reader.ts';

/** Rotation suffixes: .1, -20240101, .20240101-120000 (kubelet), with .gz (compressed) or .tmp (being compressed). */
const rotationSuffix = /[.-][0-9][0-9T:.-]*(?:\.gz)?(?:\.tmp)?$/;

/** The live path a rotated name leads back to: `0.log.20240101-120000.gz` -> `0.log`; other names stay. */
export function stripRotationSuffix(path: string): string {
  const name = basename(path);
  const stripped = name.replace(rotationSuffix, '');
  return stripped === name || stripped === '' ? path : join(dirname(path), stripped);
}

/** True for a compressed rotated file. */
export function isGzip(path: string): boolean {
  return path.endsWith('.gz');
}

/**
 * Document-id prefix of a generation: its live path and first line. A copy made by copytruncate
 * and a renamed file keep both, so whichever way a generation is read, its events get the same
 * ids and Elasticsearch stores them once.
 */
export function generationIdKey(origin: string, fingerprint: Buffer): string {
  return createHash('sha1').update(origin).update('\0').update(fingerprint).digest('base64url').slice(0, 16);
}

/** The identifying first line (with its newline) in the bytes read from a file's start; undefined while incomplete. */
export function fingerprintOf(head: Buffer, bytesRead: number, max: number): Buffer | undefined {
  const nl = head.subarray(0, bytesRead).indexOf(10);
  if (nl < 0 && bytesRead < max) return undefined;
  return Buffer.from(head.subarray(0, nl < 0 ? max : nl + 1));
}

/** Opens a generation for reading: through a descriptor, or decompressing a .gz. */
export async function openReader(path: string): Promise<ByteReader> {
  return isGzip(path) ? GzipReader.open(path) : FileReader.open(path);
}

/** The first line (up to max bytes) of a file, plain or gzip; undefined when unreadable or incomplete. */
export async function readFingerprint(path: string, max: number): Promise<Buffer | undefined> {
  let reader: ByteReader | undefined;
  try {
    reader = await openReader(path);
    const head = Buffer.alloc(max);
    let got = 0;
    while (got < max) {
      const n = await reader.read(head, got, max - got, got);
      if (n === 0) break;
      got += n;
    }
    return fingerprintOf(head, got, max);
  } catch {
    return undefined;
  } finally {
    await reader?.close().catch(() => undefined);
  }
}

/** The first `length` bytes of the content behind a descriptor (decompressed for a .gz), without moving anything. */
async function headThrough(handle: FileHandle, gzip: boolean, length: number): Promise<Buffer> {
  if (!gzip) {
    const head = Buffer.alloc(length);
    const { bytesRead } = await handle.read(head, 0, length, 0);
    return head.subarray(0, bytesRead);
  }
  const stream = createReadStream('', { fd: handle, start: 0, autoClose: false }).pipe(createGunzip());
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= length) break;
    }
  } catch {
    // A damaged or half-written .gz: its head does not match.
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, length);
}

/**
 * Opens the file at `path` for reading only if it holds the generation whose first line is
 * `fingerprint`, checked through the opened descriptor: between finding a file by its name and
 * opening it, the rotation may have put another generation there (logrotate compresses `x.1` away
 * and copies the live file to a new `x.1`), whose lines would then go out under this generation's
 * ids. Undefined when it does not match or cannot be opened.
 */
export async function openVerified(path: string, fingerprint: Buffer): Promise<ByteReader | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const gzip = isGzip(path);
    const head = await headThrough(handle, gzip, fingerprint.length);
    if (!head.equals(fingerprint)) {
      await handle.close();
      return undefined;
    }
    return gzip ? GzipReader.of(handle) : FileReader.of(handle);
  } catch {
    await handle.close().catch(() => undefined);
    return undefined;
  }
}
