import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pino from 'pino';
import { Registry } from 'prom-client';
import { eventually } from '../support/eventually.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../backup/catalog.ts';
import { backupContext } from '../../backup/context.ts';
import { startBackupDaemon, type BackupDaemon } from '../../backup/daemon.ts';
import { validateConfig } from '../../core/config/load.ts';
import { resolveKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';
import { Lifecycle } from '../../core/lifecycle.ts';
import { startCluster, type Cluster } from '../env/index.ts';

const logger = pino({ level: 'silent' });

describe('backup scheduler with leader election (real API server, real etcd)', () => {
  let cluster: Cluster;
  let dir: string;
  const daemons: BackupDaemon[] = [];
  const clients: KubeClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 1 });
    dir = await mkdtemp(path.join(tmpdir(), 'wk-backup-lease-'));
  });

  afterAll(async () => {
    for (const d of daemons) await d.stop().catch(() => undefined);
    for (const c of clients) c.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('two schedulers sharing one Lease run a backup once, and the follower takes over without running it again', async () => {
    const etcd = cluster.etcd;
    const config = validateConfig(
      {
        cluster: { name: 'lease' },
        backup: {
          storage: { type: 'directory', directory: dir },
          etcd: {
            endpoints: etcd.endpoints,
            ...(etcd.tls ? { caFile: etcd.tls.caFile, certFile: etcd.tls.certFile, keyFile: etcd.tls.keyFile } : {}),
          },
          // Yearly cron: within the test only the catch-up run at leadership can fire.
          schedules: [{ name: 'etcd-yearly', cron: '0 0 1 1 *', catchUp: true }],
          leaderElection: {
            namespace: 'default',
            leaseName: 'wk-backup-it',
            leaseDurationSeconds: 4,
            renewDeadlineSeconds: 3,
            retryPeriodSeconds: 1,
          },
        },
      },
      'test',
    );
    const context = await backupContext(config);
    const start = async (identity: string): Promise<BackupDaemon> => {
      const client = new KubeClient(await resolveKubeAccess({ kubeconfig: cluster.adminKubeconfig }));
      clients.push(client);
      const daemon = await startBackupDaemon(
        { config, logger, registry: new Registry(), lifecycle: new Lifecycle({ logger, stopTimeoutMs: 10_000 }) },
        { context, kubeClient: client, identity },
      );
      daemons.push(daemon);
      return daemon;
    };
    const [a, b] = await Promise.all([start('replica-a'), start('replica-b')]);
    const backups = () => listBackups(context.storage, context.root, 'etcd');

    await eventually(backups, (list) => list.length === 1, 'one catch-up backup');
    const leader = await eventually(
      () => [a, b].filter((d) => d.elector!.isLeader()),
      (l) => l.length === 1,
      'one leader',
    );
    const follower = leader[0] === a ? b : a;
    // Both replicas have seen the same holder, so the follower had every chance to run too.
    await eventually(
      () => [a.elector!.leader, b.elector!.leader],
      ([x, y]) => x !== '' && x === y,
      'both see the leader',
    );
    await delay(3000);
    expect((await backups()).length).toBe(1);
    expect(follower.scheduler.isActive()).toBe(false);

    // The leader stops and releases the Lease; the follower takes over, and since the last
    // success is recent (within the yearly period), it does not run another catch-up.
    await leader[0]!.stop();
    await eventually(
      () => follower.elector!.isLeader(),
      (l) => l,
      'follower takes over',
    );
    expect(follower.scheduler.isActive()).toBe(true);
    await delay(3000);
    expect((await backups()).length).toBe(1);
  });
});
