import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../core/log.ts';
import { readManifest, type Manifest } from './manifest.ts';
import { countKeysInDataDir, findTool, restoreSnapshot } from './restore/etcd-tools.ts';
import { discard, fetchVerified } from './restore/fetch.ts';
import type { BackupKind, LayoutRoot } from './storage/layout.ts';
import type { ObjectStorage } from './storage/types.ts';

/** Options of {@link verifyBackup}. */
export interface VerifyOptions {
  storage: ObjectStorage;
  root: LayoutRoot;
  kind: BackupKind;
  id: string;
  key?: Buffer | undefined;
  /** With a key, still verify a backup whose manifest is not authenticated (its hashes only prove it intact, not its origin). */
  allowUnauthenticated?: boolean | undefined;
  /** 'auto': restore the snapshot into a temporary data dir when etcd's binaries are found. */
  restoreTest: 'auto' | 'never';
  binDir?: string | undefined;
  /** Where temporary files go; default: the system temp dir. */
  workDir?: string | undefined;
  logger: Logger;
  onProgress?: (file: string, bytes: number, total: number) => void;
  /** Aborts the verification (SIGINT, SIGTERM): its temporary files are removed, then it rejects. */
  signal?: AbortSignal | undefined;
}

/** The outcome for one stored object. */
export interface ObjectCheck {
  file: string;
  role: string;
  size: number;
  /** 'content' when decrypted and decompressed too, 'stored' when only the stored bytes were checked (no key). */
  checked: 'content' | 'stored';
}

/** What {@link verifyBackup} proved. */
export interface VerifyResult {
  manifest: Manifest;
  objects: ObjectCheck[];
  /** Keys found after restoring into a temporary data dir, or why that test was skipped. */
  restore: { keys: number; revision: string } | { skipped: string };
}

/**
 * Checks a backup: every object's stored sha256, and with the key its decrypted and
 * decompressed content sha256 and etcd's own trailer; then, when etcdutl and etcd are present,
 * restores the snapshot into a temporary data dir, starts etcd on it and counts its keys.
 * Throws an integrity error at the first mismatch.
 */
export async function verifyBackup(options: VerifyOptions): Promise<VerifyResult> {
  const { storage, root } = options;
  const { key, allowUnauthenticated, signal } = options;
  const manifest = await readManifest(storage, root, options.kind, options.id, { key, allowUnauthenticated });
  const objects: ObjectCheck[] = [];
  let restore: VerifyResult['restore'] = { skipped: 'not an etcd backup' };
  const work = await mkdtemp(path.join(options.workDir ?? tmpdir(), 'watchkeeper-verify-'));
  try {
    for (const object of manifest.objects) {
      const storedOnly = object.encryption !== null && options.key === undefined;
      const onProgress = (bytes: number, total: number): void => options.onProgress?.(object.file, bytes, total);
      const wantRestore = object.role === 'etcd-snapshot' && options.restoreTest === 'auto' && !storedOnly;
      const tools = wantRestore
        ? { etcdutl: await findTool('etcdutl', options.binDir), etcd: await findTool('etcd', options.binDir) }
        : undefined;
      if (tools?.etcdutl && tools.etcd) {
        const snapshotFile = path.join(work, 'snapshot.db');
        await fetchVerified(
          { storage, root, manifest, object, key, allowUnauthenticated, onProgress, signal },
          createWriteStream(snapshotFile, { flags: 'wx', mode: 0o600 }),
        );
        const dataDir = path.join(work, 'data');
        await restoreSnapshot({
          snapshotFile,
          dataDir,
          name: 'verify',
          initialCluster: 'verify=http://127.0.0.1:2380',
          initialAdvertisePeerUrls: 'http://127.0.0.1:2380',
          initialClusterToken: 'watchkeeper-verify',
          binDir: options.binDir,
          signal,
        });
        await rm(snapshotFile, { force: true });
        restore = await countKeysInDataDir(dataDir, 'verify', options.binDir);
      } else {
        await fetchVerified(
          { storage, root, manifest, object, key, allowUnauthenticated, storedOnly, onProgress, signal },
          discard(),
        );
        if (object.role === 'etcd-snapshot') {
          restore = {
            skipped: storedOnly
              ? 'no decryption key: only the stored bytes were checked'
              : options.restoreTest === 'never'
                ? 'restore test not requested'
                : 'etcdutl or etcd not found',
          };
        }
      }
      objects.push({
        file: object.file,
        role: object.role,
        size: object.size,
        checked: storedOnly ? 'stored' : 'content',
      });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  options.logger.debug({ id: options.id, restore }, 'Backup verified.');
  return { manifest, objects, restore };
}
