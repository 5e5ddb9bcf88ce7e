import { createHash } from 'node:crypto';
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
