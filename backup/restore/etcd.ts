import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { WatchkeeperError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { resolveBackup } from '../catalog.ts';
import { extractFiles } from '../files/archive.ts';
import { readManifest, type Manifest } from '../manifest.ts';
import { originOf } from '../origin.ts';
import type { LayoutRoot } from '../storage/layout.ts';
import type { ObjectStorage } from '../storage/types.ts';
import { restoreSnapshot } from './etcd-tools.ts';
import { fetchVerified } from './fetch.ts';

/** Options of {@link restoreEtcd}. */
export interface RestoreEtcdOptions {
  storage: ObjectStorage;
  root: LayoutRoot;
  /** Backup id or "latest". */
  backup: string;
  /** With "latest": the latest backup of this name. */
  name?: string | undefined;
  dataDir: string;
  memberName: string;
  initialCluster: string;
  initialAdvertisePeerUrls: string;
  initialClusterToken: string;
  bumpRevision?: number | undefined;
  /** Also extract the control-plane files archive into this directory. */
  filesDir?: string | undefined;
  /** The backup key: the manifest must then be authenticated by it and every object encrypted. */
  key?: Buffer | undefined;
  /** With a key, still restore a backup whose manifest is not authenticated (format 1); said in the warnings. */
  allowUnauthenticated?: boolean | undefined;
  binDir?: string | undefined;
  logger: Logger;
  onProgress?: (phase: 'download' | 'files', bytes: number, total: number) => void;
  /** Aborts the restore (SIGINT, SIGTERM): everything it wrote is removed, then it rejects. */
  signal?: AbortSignal | undefined;
}

/** What a restore did. */
export interface RestoreEtcdResult {
  manifest: Manifest;
  dataDir: string;
  tool: string;
  filesWritten: string[];
  /** True when the manifest was authenticated by the configured key. */
  originVerified: boolean;
  /** What the operator must know, e.g. that the backup's origin could not be verified. */
  warnings: string[];
  /** The steps left to the operator, for a kubeadm control plane. */
  nextSteps: string;
}

/**
 * Restores an etcd backup into a new data dir: checks the target is empty, resolves the backup
 * (`latest` is the newest trusted one), checks its manifest (with a key: authenticated, every
 * object encrypted for this backup and role), downloads the snapshot while checking every hash
 * (stored bytes, encryption, content, etcd's trailer) into a temporary file (mode 0600) beside the
 * data dir, then runs `etcdutl snapshot restore`. The control-plane files archive is downloaded
 * and verified whole into a temporary file beside --files-dir before anything is extracted.
 * Nothing is left behind when any step fails or the signal aborts.
 */
export async function restoreEtcd(options: RestoreEtcdOptions): Promise<RestoreEtcdResult> {
  const { storage, root, logger } = options;
  const dataDir = path.resolve(options.dataDir);
  await assertEmptyOrAbsent(dataDir, '--data-dir');
  if (options.filesDir !== undefined) await assertEmptyOrAbsent(path.resolve(options.filesDir), '--files-dir');
  const { key, signal } = options;
  const entry = await resolveBackup(storage, root, 'etcd', options.backup, options.name, { key });
  const { allowUnauthenticated } = options;
  const manifest = await readManifest(storage, root, 'etcd', entry.id, { key, allowUnauthenticated });
  const { originVerified, warnings } = originOf(manifest, key, storage.location);
  const snapshot = manifest.objects.find((o) => o.role === 'etcd-snapshot');
  if (!snapshot) throw new WatchkeeperError('integrity', `backup ${entry.id} has no etcd snapshot in its manifest`);
  const filesObject = manifest.objects.find((o) => o.role === 'control-plane-files');
  if (options.filesDir !== undefined && !filesObject) {
    throw new WatchkeeperError('usage', `backup ${entry.id} holds no control-plane files; drop --files-dir`);
  }

  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  const suffix = `${entry.id}-${randomBytes(3).toString('hex')}`;
  // Decrypted content (every Secret of the cluster) is written only here, 0600, and always removed.
  const tempFile = path.join(parent, `.watchkeeper-restore-${suffix}.db`);
  const filesDir = options.filesDir === undefined ? undefined : path.resolve(options.filesDir);
  const tempArchive =
    filesDir === undefined ? undefined : path.join(path.dirname(filesDir), `.watchkeeper-files-${suffix}.tar`);
  const log = logger.child({ backup: entry.id });
  for (const warning of warnings) log.warn(warning);
  const fetchOptions = { storage, root, manifest, key, allowUnauthenticated, signal };
  let createdDataDir = false;
  let createdFilesDir = false;
  try {
    throwIfAborted(signal);
    log.info({ tempFile }, 'Downloading and verifying the snapshot.');
    const progress =
      (phase: 'download' | 'files') =>
      (b: number, t: number): void =>
        options.onProgress?.(phase, b, t);
    await fetchVerified(
      { ...fetchOptions, object: snapshot, onProgress: progress('download') },
      createWriteStream(tempFile, { flags: 'wx', mode: 0o600 }),
    );
    if (filesDir !== undefined && tempArchive !== undefined && filesObject) {
      // The whole archive is verified (every hash, every frame) before a single entry is extracted.
      await mkdir(path.dirname(filesDir), { recursive: true });
      await fetchVerified(
        { ...fetchOptions, object: filesObject, onProgress: progress('files') },
        createWriteStream(tempArchive, { flags: 'wx', mode: 0o600 }),
      );
    }
    throwIfAborted(signal);
    createdDataDir = !(await exists(dataDir));
    const tool = await restoreSnapshot({
      snapshotFile: tempFile,
      dataDir,
      name: options.memberName,
      initialCluster: options.initialCluster,
      initialAdvertisePeerUrls: options.initialAdvertisePeerUrls,
      initialClusterToken: options.initialClusterToken,
      bumpRevision: options.bumpRevision,
      binDir: options.binDir,
      signal,
    });
    let filesWritten: string[] = [];
    if (filesDir !== undefined && tempArchive !== undefined) {
      throwIfAborted(signal);
      createdFilesDir = !(await exists(filesDir));
      filesWritten = await extractFiles(createReadStream(tempArchive), filesDir);
    }
    throwIfAborted(signal);
    const nextSteps = kubeadmNextSteps(manifest, dataDir, options);
    return { manifest, dataDir, tool, filesWritten, originVerified, warnings, nextSteps };
  } catch (error) {
    if (createdDataDir) await rm(dataDir, { recursive: true, force: true });
    else await emptyDir(dataDir);
    if (filesDir !== undefined) {
      if (createdFilesDir) await rm(filesDir, { recursive: true, force: true });
      else await emptyDir(filesDir);
    }
    if (signal?.aborted) {
      throw new WatchkeeperError(
        'failed',
        `the restore was interrupted; what it had written (temporary files, ${dataDir}) was removed`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    await rm(tempFile, { force: true });
    if (tempArchive !== undefined) await rm(tempArchive, { force: true });
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new WatchkeeperError('failed', 'interrupted');
}

/** The manual steps after a restore on a kubeadm control-plane node. */
export function kubeadmNextSteps(
  manifest: Manifest,
  dataDir: string,
  options: Pick<RestoreEtcdOptions, 'memberName' | 'initialCluster' | 'filesDir'>,
): string {
  const members = options.initialCluster.split(',').length;
  const lines = [
    `Restored etcd backup ${manifest.id} (taken ${manifest.startedAt}, revision ${manifest.etcd?.revision ?? '?'}) into ${dataDir}.`,
    '',
    'Next steps on a kubeadm control plane (as root, on every control-plane node):',
    '  1. Stop the API server and etcd static pods:',
    '       mkdir -p /etc/kubernetes/manifests.stopped',
    '       mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/manifests.stopped/',
    '       crictl ps | grep -E "kube-apiserver|etcd"     # wait until both are gone',
    '  2. Keep the old data and put the restored data in place:',
    `       mv /var/lib/etcd /var/lib/etcd.before-restore-$(date +%Y%m%d%H%M%S)`,
    `       mv ${dataDir} /var/lib/etcd`,
    '     (or point the etcd-data hostPath in etcd.yaml at the restored directory)',
  ];
  if (options.filesDir !== undefined) {
    lines.push(
      '  3. Compare the restored control-plane files with /etc/kubernetes and copy back what is missing or lost:',
      `       diff -r ${path.resolve(options.filesDir)}/etc/kubernetes /etc/kubernetes`,
    );
  } else {
    lines.push(
      "  3. Make sure /etc/kubernetes/pki and the encryption provider config match the backup's cluster",
      '     (restore them with --files-dir when the backup holds them).',
    );
  }
  lines.push(
    '  4. Start etcd, then the API server:',
    '       mv /etc/kubernetes/manifests.stopped/etcd.yaml /etc/kubernetes/manifests/',
    '       mv /etc/kubernetes/manifests.stopped/kube-apiserver.yaml /etc/kubernetes/manifests/',
    '  5. Restart the kubelet and the controllers so that no one acts on stale caches:',
    '       systemctl restart kubelet',
    "       kubectl -n kube-system delete pod -l 'component in (kube-controller-manager,kube-scheduler)'",
    '  6. Check: kubectl get nodes; kubectl get --raw=/readyz?verbose',
  );
  if (members > 1) {
    lines.push(
      '',
      `This is a ${members}-member cluster: run the same restore on each member with its own --name and`,
      '--initial-advertise-peer-urls, the same --initial-cluster and the same backup, before starting any of them.',
    );
  }
  return lines.join('\n');
}

async function assertEmptyOrAbsent(dir: string, flag: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch {
    return;
  }
  if (!info.isDirectory()) throw new WatchkeeperError('usage', `${flag} ${dir} exists and is not a directory`);
  if ((await readdir(dir)).length > 0) {
    throw new WatchkeeperError('usage', `${flag} ${dir} is not empty; restore into a new or empty directory`);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function emptyDir(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) await rm(path.join(dir, entry), { recursive: true, force: true });
}
