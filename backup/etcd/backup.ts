import type { Logger } from '../../core/log.ts';
import { WatchkeeperError, describeError } from '../../core/errors.ts';
import { buildInfo } from '../../core/version.ts';
import type { EtcdConfig } from '../config.ts';
import { archiveFiles } from '../files/archive.ts';
import { manifestFormatVersion, writeManifest, type Manifest, type StoredObject } from '../manifest.ts';
import { controlPlaneFilesFile, newBackupId, objectKey, snapshotFile, type LayoutRoot } from '../storage/layout.ts';
import type { ObjectStorage } from '../storage/types.ts';
import { compressor } from '../stream/compression.ts';
import { EncryptStream, encryptionAlgorithm, encryptionContext, keyId } from '../stream/encryption.ts';
import { HashMeter } from '../stream/meter.ts';
import { Rechunk } from '../stream/rechunk.ts';
import { GcPacer } from '../stream/gc-pacer.ts';
import { streamToStorage } from '../stream/store.ts';
import { loadEtcdCredentials } from './client.ts';
import { chooseMember, toHexId } from './member.ts';
import { EtcdTrailerCheck, openSnapshotStream } from './snapshot-stream.ts';

/** Progress of a running backup: bytes read from the source so far, and the expected total. */
export type BackupProgress = (phase: 'snapshot' | 'files', bytes: number, total?: number) => void;

/** Options of {@link runEtcdBackup}. */
export interface EtcdBackupOptions {
  storage: ObjectStorage;
  root: LayoutRoot;
  /** Backup name (schedule name, or "manual"). */
  name: string;
  etcd: EtcdConfig;
  /** Encryption key when encryption is enabled; undefined stores in clear. */
  encryptionKey?: Buffer | undefined;
  logger: Logger;
  onProgress?: BackupProgress;
  /** Aborts the run (leadership lost, service stopping): the upload is aborted, what was stored is deleted, no manifest is written. */
  signal?: AbortSignal | undefined;
  /** Clock (tests). */
  now?: () => Date;
}

/**
 * Takes one etcd snapshot and stores it, streamed: etcd -> trailer check + sha256 -> compress ->
 * encrypt -> multipart upload. Then the control-plane files, then the manifest. On any failure the
 * objects already stored are deleted (best effort) and no manifest is written, so no backup lists.
 */
export async function runEtcdBackup(options: EtcdBackupOptions): Promise<Manifest> {
  const { storage, root, etcd, encryptionKey, logger } = options;
  const now = options.now ?? (() => new Date());
  if (etcd.files.length > 0 && !encryptionKey && !etcd.allowUnencryptedFiles) {
    throw new WatchkeeperError(
      'usage',
      'backup.etcd.files holds private keys and credentials: enable backup.encryption (with a key) or set backup.etcd.allowUnencryptedFiles: true',
    );
  }
  const { signal } = options;
  throwIfAborted(signal);
  const startedAt = now();
  const id = newBackupId(options.name, startedAt);
  const credentials = await loadEtcdCredentials(etcd);
  // Files are read before the snapshot, so a missing file fails before anything is uploaded.
  const archive = etcd.files.length > 0 ? await archiveFiles(etcd.files) : undefined;
  const member = await chooseMember(etcd.endpoints, credentials, {
    preferFollower: etcd.preferFollower,
    dialTimeoutMs: etcd.dialTimeoutSeconds * 1000,
  });
  const { status } = member;
  const log = logger.child({ backup: id });
  log.info(
    { endpoint: status.endpoint, member: member.name || toHexId(status.memberId), dbSize: status.dbSize },
    'Taking an etcd snapshot.',
  );
  const stored: string[] = [];
  const encryption = encryptionKey ? { algorithm: encryptionAlgorithm, keyId: keyId(encryptionKey) } : null;
  // Each object is encrypted for its backup id and role: it cannot be swapped into another backup or role.
  const encrypt = (role: StoredObject['role']): EncryptStream[] =>
    encryptionKey
      ? [new EncryptStream(encryptionKey, undefined, encryptionContext(root.cluster, 'etcd', id, role))]
      : [];
  try {
    const objects: StoredObject[] = [];
    const file = snapshotFile(etcd.compression, encryptionKey !== undefined);
    const key = objectKey(root, 'etcd', id, file);
    // One hash pass gives etcd's db hash check and the content hash (see EtcdTrailerCheck).
    const check = new EtcdTrailerCheck((bytes) => options.onProgress?.('snapshot', bytes, status.dbSize));
    const storedMeter = new HashMeter();
    const source = await openSnapshotStream(member.client, status.endpoint);
    stored.push(key);
    await streamToStorage(
      storage,
      key,
      source,
      [new Rechunk(), new GcPacer(), check, compressor(etcd.compression), ...encrypt('etcd-snapshot'), storedMeter],
      { contentType: 'application/octet-stream', ...(signal ? { signal } : {}) },
    );
    objects.push({
      role: 'etcd-snapshot',
      file,
      size: storedMeter.bytes,
      sha256: storedMeter.sha256(),
      contentSize: check.contentBytes,
      contentSha256: check.contentSha256(),
      compression: etcd.compression,
      encryption,
    });
    log.debug({ key, bytes: storedMeter.bytes }, 'Snapshot stored.');

    if (archive) {
      const filesFile = controlPlaneFilesFile(etcd.compression, encryptionKey !== undefined);
      const filesKey = objectKey(root, 'etcd', id, filesFile);
      const filesContent = new HashMeter((bytes) => options.onProgress?.('files', bytes));
      const filesStored = new HashMeter();
      stored.push(filesKey);
      throwIfAborted(signal);
      await streamToStorage(
        storage,
        filesKey,
        archive.stream,
        [filesContent, compressor(etcd.compression), ...encrypt('control-plane-files'), filesStored],
        { contentType: 'application/octet-stream', ...(signal ? { signal } : {}) },
      );
      objects.push({
        role: 'control-plane-files',
        file: filesFile,
        size: filesStored.bytes,
        sha256: filesStored.sha256(),
        contentSize: filesContent.bytes,
        contentSha256: filesContent.sha256(),
        compression: etcd.compression,
        encryption,
      });
    }

    const manifest: Manifest = {
      formatVersion: manifestFormatVersion,
      id,
      name: options.name,
      kind: 'etcd',
      cluster: root.cluster,
      startedAt: startedAt.toISOString(),
      completedAt: now().toISOString(),
      watchkeeperVersion: buildInfo.version,
      objects,
      etcd: {
        endpoint: status.endpoint,
        memberId: toHexId(status.memberId),
        memberName: member.name,
        clusterId: toHexId(status.clusterId),
        wasLeader: status.memberId === status.leaderId,
        revision: status.revision,
        etcdVersion: status.version,
        dbSize: check.dbBytes,
        dbSha256: check.sha256(),
      },
      ...(archive ? { files: archive.files } : {}),
    };
    // Last chance to stop: once the manifest is written, the backup exists.
    throwIfAborted(signal);
    // With encryption the manifest is authenticated by the same key: restores refuse anything else.
    const written = await writeManifest(storage, root, manifest, encryptionKey);
    log.info({ bytes: objects.reduce((n, o) => n + o.size, 0), dbSize: check.dbBytes }, 'etcd backup stored.');
    return written;
  } catch (error) {
    archive?.stream.destroy();
    for (const key of stored) {
      await storage
        .delete(key)
        .catch((deleteError: unknown) =>
          log.warn({ key, error: describeError(deleteError) }, 'Could not remove an object of the failed backup.'),
        );
    }
    throw signal?.aborted ? abortedError(signal, error) : error;
  } finally {
    member.client.close();
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

function abortedError(signal: AbortSignal, cause?: unknown): WatchkeeperError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new WatchkeeperError('failed', `the backup was aborted (${reason}); what it had stored was removed`, {
    cause: cause ?? signal.reason,
  });
}

/** Sum of the stored sizes of a backup's objects. */
export function storedBytes(manifest: Manifest): number {
  return manifest.objects.reduce((n, o) => n + o.size, 0);
}
