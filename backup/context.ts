import type { Config } from '../core/config/schema.ts';
import { WatchkeeperError } from '../core/errors.ts';
import { createStorage } from './storage/create.ts';
import type { LayoutRoot } from './storage/layout.ts';
import type { ObjectStorage } from './storage/types.ts';
import { loadKey } from './stream/key.ts';

/** What every backup command works with: the storage, the key root and the encryption key. */
export interface BackupContext {
  storage: ObjectStorage & { close?(): void };
  root: LayoutRoot;
  /** The key when one is configured or present in the environment. */
  key: Buffer | undefined;
  /** The key new backups are encrypted with: set exactly when backup.encryption.enabled. */
  encryptionKey: Buffer | undefined;
}

/** Builds the backup context from the configuration; fails when encryption is enabled without a key. */
export async function backupContext(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<BackupContext> {
  const { backup } = config;
  const key = await loadKey(backup.encryption, env);
  if (backup.encryption.enabled && !key) {
    throw new WatchkeeperError(
      'usage',
      `backup.encryption.enabled is true but no key was found: set backup.encryption.keyFile or $${backup.encryption.keyEnv} (32 bytes, e.g. from \`openssl rand -hex 32\`)`,
    );
  }
  return {
    storage: createStorage(backup.storage),
    root: { prefix: backup.storage.prefix, cluster: config.cluster.name },
    key,
    encryptionKey: backup.encryption.enabled ? key : undefined,
  };
}

/** Runs `use` with a fresh backup context and closes its storage afterwards, whatever happens. */
export async function withBackupContext<T>(config: Config, use: (ctx: BackupContext) => Promise<T>): Promise<T> {
  const ctx = await backupContext(config);
  try {
    return await use(ctx);
  } finally {
    ctx.storage.close?.();
  }
}
