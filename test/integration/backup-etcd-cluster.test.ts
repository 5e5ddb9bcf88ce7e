import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../backup/catalog.ts';
import { backupContext, type BackupContext } from '../../backup/context.ts';
import { runEtcdBackup } from '../../backup/etcd/backup.ts';
import { validateConfig } from '../../core/config/load.ts';
import type { Config } from '../../core/config/schema.ts';
import { startEtcdCluster, type EtcdCluster } from '../env/index.ts';

const logger = pino({ level: 'silent' });

describe('etcd backup from a 3-member TLS cluster (real etcd members)', () => {
  let cluster: EtcdCluster;
  let dir: string;
  let config: Config;
  let context: BackupContext;

  beforeAll(async () => {
    cluster = await startEtcdCluster({ members: 3, tls: true });
    dir = await mkdtemp(path.join(tmpdir(), 'wk-backup-cluster-'));
    config = validateConfig(
      {
        cluster: { name: 'three' },
        backup: {
          storage: { type: 'directory', directory: dir },
          etcd: {
            endpoints: cluster.endpoints,
            caFile: cluster.tls!.caFile,
            certFile: cluster.tls!.certFile,
            keyFile: cluster.tls!.keyFile,
            preferFollower: true,
            dialTimeoutSeconds: 2,
          },
        },
      },
      'test',
    );
    context = await backupContext(config);
    for (let i = 0; i < 50; i++) await cluster.etcdctl(['put', `/registry/test/key-${i}`, `value-${i}`]);
  });

  afterAll(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const backup = (name: string) =>
    runEtcdBackup({
      storage: context.storage,
      root: context.root,
      name,
      etcd: config.backup.etcd,
      encryptionKey: undefined,
      logger,
    });

  it('takes the snapshot from a follower, never the leader', async () => {
    const leader = await cluster.leaderEndpoint();
    // The leader is listed first (members tie on revision, so without the preference it would win),
    // and the runs repeat: the choice must not depend on order or on which member answers first.
    const leaderFirst = [leader, ...cluster.endpoints.filter((e) => e !== leader)];
    for (let i = 0; i < 3; i++) {
      const manifest = await runEtcdBackup({
        storage: context.storage,
        root: context.root,
        name: `follower-${i}`,
        etcd: { ...config.backup.etcd, endpoints: leaderFirst },
        encryptionKey: undefined,
        logger,
      });
      expect(manifest.etcd!.wasLeader).toBe(false);
      expect(manifest.etcd!.endpoint).not.toBe(leader);
      expect(cluster.endpoints).toContain(manifest.etcd!.endpoint);
      expect(manifest.etcd!.memberName).toMatch(/^m[123]$/);
      expect(BigInt(manifest.etcd!.revision)).toBeGreaterThanOrEqual(51n);
    }
  });

  it('records that the snapshot came from the leader when the leader is the only endpoint given', async () => {
    const manifest = await runEtcdBackup({
      storage: context.storage,
      root: context.root,
      name: 'any-member',
      etcd: { ...config.backup.etcd, endpoints: [await cluster.leaderEndpoint()], preferFollower: false },
      encryptionKey: undefined,
      logger,
    });
    expect(manifest.etcd!.wasLeader).toBe(true);
  });

  it('with one member stopped, still backs up from a healthy follower', async () => {
    const leader = await cluster.leaderEndpoint();
    const followers = cluster.members.filter((m) => m.endpoint !== leader);
    const stopped = followers[0]!;
    await cluster.stopMember(stopped.name);
    try {
      await cluster.etcdctl(
        ['put', '/registry/test/after-stop', 'yes'],
        cluster.endpoints.filter((e) => e !== stopped.endpoint),
      );
      const manifest = await backup('one-down');
      expect(manifest.etcd!.endpoint).toBe(followers[1]!.endpoint);
      expect(manifest.etcd!.wasLeader).toBe(false);
      const listed = await listBackups(context.storage, context.root, 'etcd');
      expect(listed.map((b) => b.id)).toContain(manifest.id);
    } finally {
      await cluster.startMember(stopped.name);
    }
  });
});
