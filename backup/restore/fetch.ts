import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WatchkeeperError, describeError } from '../../core/errors.ts';
import { EtcdTrailerCheck } from '../etcd/snapshot-stream.ts';
import type { Manifest, StoredObject } from '../manifest.ts';
import { objectKey, type LayoutRoot } from '../storage/layout.ts';
import type { ObjectStorage } from '../storage/types.ts';
import { decompressor } from '../stream/compression.ts';
import { DecryptStream, encryptionContext, keyId } from '../stream/encryption.ts';
import { GcPacer } from '../stream/gc-pacer.ts';
import { HashMeter } from '../stream/meter.ts';

/** Options of {@link fetchVerified}. */
export interface FetchOptions {
  storage: ObjectStorage;
  root: LayoutRoot;
  manifest: Manifest;
  object: StoredObject;
  /** Decryption key; required for encrypted objects unless `storedOnly`. */
  key?: Buffer | undefined;
  /** Check only the stored bytes (no key needed, content not checked). */
  storedOnly?: boolean;
  /**
   * With a key, an unencrypted object, or one in the old WKBKENC1 format, is refused unless this is
   * set (the caller then read an unauthenticated manifest on purpose).
   */
  allowUnauthenticated?: boolean | undefined;
  /** Aborts the download (e.g. SIGINT): the pipeline is destroyed and the call rejects. */
  signal?: AbortSignal | undefined;
  /** Called with the stored bytes downloaded so far. */
  onProgress?: (bytes: number, total: number) => void;
}

/** What {@link fetchVerified} checked. */
export interface FetchResult {
  storedBytes: number;
  /** Whether the content (after decryption and decompression) was checked too. */
  contentChecked: boolean;
  contentBytes: number;
}

/** A sink that drops what it gets (verification without keeping the content). */
export function discard(): Writable {
  return new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });
}

/**
 * Downloads one stored object and streams its content into `sink`: stored bytes -> sha256 ->
 * decrypt -> decompress -> sha256 (-> etcd's trailer check for snapshots). Fails with an
 * integrity error when any hash, the authentication of the encryption or etcd's trailer does not
 * match; the caller must discard what reached the sink then.
 */
export async function fetchVerified(options: FetchOptions, sink: Writable): Promise<FetchResult> {
  const { storage, root, manifest, object } = options;
  const key = objectKey(root, manifest.kind, manifest.id, object.file);
  const contentChecked = options.storedOnly !== true;
  const allowUnauthenticated = options.allowUnauthenticated === true;
  if (options.key && !object.encryption && !allowUnauthenticated) {
    throw new WatchkeeperError(
      'integrity',
      `${key} is not encrypted: refused while a backup key is configured (anyone with write access to the bucket could have written it)`,
    );
  }
  if (contentChecked && object.encryption) {
    if (!options.key) {
      throw new WatchkeeperError(
        'usage',
        `backup ${manifest.id} is encrypted (key id ${object.encryption.keyId}): give its key with backup.encryption.keyFile or the variable named by backup.encryption.keyEnv`,
      );
    }
    if (keyId(options.key) !== object.encryption.keyId) {
      throw new WatchkeeperError(
        'integrity',
        `wrong decryption key: backup ${manifest.id} was encrypted with key id ${object.encryption.keyId}, the given key has id ${keyId(options.key)}`,
      );
    }
  }
  const stored = new HashMeter((bytes) => options.onProgress?.(bytes, object.size));
  // A snapshot's content hash comes from the trailer check's single hash pass.
  const content = object.role === 'etcd-snapshot' ? new EtcdTrailerCheck() : new HashMeter();
  const stages: NodeJS.ReadWriteStream[] = [stored, new GcPacer()];
  if (contentChecked) {
    if (object.encryption) {
      const context = encryptionContext(manifest.cluster, manifest.kind, manifest.id, object.role);
      const allowLegacy = manifest.formatVersion === 1 && allowUnauthenticated;
      stages.push(new DecryptStream(options.key!, { context, allowLegacy }));
    }
    stages.push(decompressor(object.compression), content);
  }
  const source = await storage.get(key, options.signal ? { signal: options.signal } : {});
  try {
    const streams = [source, ...stages, sink] as unknown as readonly NodeJS.ReadWriteStream[];
    await untilAborted(
      options.signal ? pipeline(streams, { signal: options.signal }) : pipeline(streams),
      options.signal,
    );
  } catch (error) {
    if (options.signal?.aborted)
      throw new WatchkeeperError('failed', `downloading ${key} was interrupted`, { cause: error });
    if (error instanceof WatchkeeperError && error.code !== 'storage_failed') throw error;
    if (isZlibError(error)) {
      throw new WatchkeeperError('integrity', `${key} is corrupted: it does not decompress (${describeError(error)})`, {
        cause: error,
      });
    }
    throw new WatchkeeperError(
      'storage_failed',
      `downloading ${key} from ${storage.location}: ${describeError(error)}`,
      { cause: error },
    );
  }
  if (stored.bytes !== object.size || stored.sha256() !== object.sha256) {
    throw new WatchkeeperError(
      'integrity',
      `${key} is corrupted or truncated: downloaded ${stored.bytes} bytes with sha256 ${stored.sha256()}, the manifest says ${object.size} bytes with sha256 ${object.sha256}`,
    );
  }
  if (
    contentChecked &&
    (contentBytes(content) !== object.contentSize || contentSha256(content) !== object.contentSha256)
  ) {
    throw new WatchkeeperError(
      'integrity',
      `${key} is corrupted: its content has sha256 ${contentSha256(content)} (${contentBytes(content)} bytes), the manifest says ${object.contentSha256} (${object.contentSize} bytes)`,
    );
  }
  return { storedBytes: stored.bytes, contentChecked, contentBytes: contentBytes(content) };
}

function contentBytes(meter: HashMeter | EtcdTrailerCheck): number {
  return meter instanceof EtcdTrailerCheck ? meter.contentBytes : meter.bytes;
}

function contentSha256(meter: HashMeter | EtcdTrailerCheck): string {
  return meter instanceof EtcdTrailerCheck ? meter.contentSha256() : meter.sha256();
}

/**
 * Settles with `work`, or rejects as soon as `signal` aborts: a stream destroyed in the middle of a
 * blocking read (a stalled network file system, a pipe) closes only once that read returns, and an
 * interrupted restore must not wait for it to clean up.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    typeof code === 'string' &&
    (code.startsWith('Z_') || code.startsWith('ZSTD_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED')
  );
}
