import type { Logger } from '../core/log.ts';
import { classifyBackups, deleteBackup, findIncomplete, listBackups, type UntrustedBackup } from './catalog.ts';
import type { BackupMetrics } from './metrics.ts';
import { applyRetention, type RetentionDecision, type RetentionPolicy } from './retention.ts';
import { parseBackupId, type BackupKind, type LayoutRoot } from './storage/layout.ts';
import type { ObjectStorage } from './storage/types.ts';

/** Failed runs younger than this may still be running in another process: their objects stay. */
const incompleteGraceMs = 24 * 3600 * 1000;

/** Options of {@link pruneBackups}. */
export interface PruneOptions {
  storage: ObjectStorage;
  root: LayoutRoot;
  kind: BackupKind;
  /** Only backups of this name are considered. */
  name: string;
  policy: RetentionPolicy;
  /** Decide and report, delete nothing. */
  dryRun: boolean;
  logger: Logger;
  metrics?: BackupMetrics | undefined;
  /** The backup key: then only backups whose manifest it authenticates count (see catalog.ts distrust). */
  key?: Buffer | undefined;
  /** Clock (tests). */
  now?: () => Date;
}

/** What a prune decided and did. */
export interface PruneResult {
  decision: RetentionDecision;
  /** Ids deleted (empty on a dry run). */
  deleted: string[];
  /** Ids of failed runs (no manifest, over a day old) whose leftover objects were removed or would be. */
  incomplete: string[];
  /**
   * Backups retention neither counted nor deleted: dated in the future or, with a key, not
   * authenticated by it. They never push a trusted backup out of a keep rule.
   */
  untrusted: UntrustedBackup[];
}

/**
 * Applies a retention policy to the trusted backups of one name, then removes objects that failed
 * runs of that name left behind more than a day ago. Backups that cannot be trusted (dated in the
 * future, or with a key not authenticated by it) are left alone and reported: they neither count
 * for a keep rule nor get deleted. Deletion stops at the first storage error.
 */
export async function pruneBackups(options: PruneOptions): Promise<PruneResult> {
  const { storage, root, kind, name, dryRun, logger } = options;
  const now = (options.now ?? (() => new Date()))();
  const listed = (await listBackups(storage, root, kind)).filter((b) => b.name === name);
  const { trusted, untrusted } = await classifyBackups(storage, root, listed, { key: options.key, now: () => now });
  for (const backup of untrusted) {
    logger.warn(
      { name, kind, backup: backup.id, reason: backup.reason },
      'Retention ignores a backup it cannot trust.',
    );
  }
  const decision = applyRetention(
    trusted.map((b) => ({ id: b.id, time: b.startedAt })),
    options.policy,
  );
  const deleted: string[] = [];
  if (!dryRun) {
    for (const backup of decision.remove) {
      await deleteBackup(storage, root, kind, backup.id);
      options.metrics?.retentionDeleted.inc({ name, kind });
      deleted.push(backup.id);
    }
  }
  const incomplete = (await findIncomplete(storage, root, kind)).filter(
    (f) => parseBackupId(f.id)?.name === name && now.getTime() - f.startedAt.getTime() > incompleteGraceMs,
  );
  if (!dryRun) for (const folder of incomplete) for (const key of folder.keys) await storage.delete(key);
  if (deleted.length > 0 || incomplete.length > 0) {
    logger.info(
      { name, kind, deleted: deleted.length, incomplete: incomplete.length, kept: decision.keep.length, dryRun },
      'Retention applied.',
    );
  }
  return { decision, deleted, incomplete: incomplete.map((f) => f.id), untrusted };
}
