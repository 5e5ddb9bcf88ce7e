import type { StorageConfig } from '../config.ts';
import { DirectoryStorage } from './directory.ts';
import { S3Storage } from './s3.ts';
import type { ObjectStorage } from './types.ts';

/** Builds the configured object storage (`backup.storage`). */
export function createStorage(config: StorageConfig): ObjectStorage & { close?(): void } {
  if (config.type === 's3') {
    if (!config.s3) throw new Error("backup.storage.s3 is required when backup.storage.type is 's3'");
    return new S3Storage(config.s3);
  }
  return new DirectoryStorage(config.directory);
}
