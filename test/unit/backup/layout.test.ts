import { describe, expect, it } from 'vitest';
import {
  backupIdOfManifestKey,
  manifestKey,
  newBackupId,
  objectKey,
  parseBackupId,
  snapshotFile,
} from '../../../backup/storage/layout.ts';

const root = { prefix: 'backups/prod', cluster: 'eu1' };

describe('layout', () => {
  it('builds sortable ids that parse back', () => {
    const a = newBackupId('etcd-hourly', new Date('2026-04-25T10:15:00.999Z'), () => 'beef');
    const b = newBackupId('etcd-hourly', new Date('2026-04-25T11:00:00Z'), () => '0000');
    expect(a).toBe('20260425T101500Z-etcd-hourly-beef');
    expect(a < b).toBe(true);
    expect(parseBackupId(a)).toEqual({ id: a, name: 'etcd-hourly', startedAt: new Date('2026-04-25T10:15:00Z') });
    expect(parseBackupId('latest')).toBeUndefined();
    expect(parseBackupId('20261399T101500Z-x-beef')).toBeUndefined();
  });

  it('puts every key under <prefix>/<cluster>/<kind>/<id>/', () => {
    const id = '20260425T101500Z-manual-beef';
    expect(objectKey(root, 'etcd', id, snapshotFile('zstd', true))).toBe(
      `backups/prod/eu1/etcd/${id}/etcd-snapshot.db.zst.enc`,
    );
    expect(manifestKey({ prefix: '', cluster: 'c' }, 'api', id)).toBe(`c/api/${id}/manifest.json`);
    expect(backupIdOfManifestKey(root, 'etcd', `backups/prod/eu1/etcd/${id}/manifest.json`)).toBe(id);
    expect(backupIdOfManifestKey(root, 'etcd', `backups/prod/eu1/etcd/${id}/etcd-snapshot.db`)).toBeUndefined();
    expect(() => objectKey(root, 'etcd', id, '../x')).toThrow(/invalid backup file name/);
    expect(() => objectKey(root, 'etcd', 'nope', 'x')).toThrow(/invalid backup id/);
  });
});
