import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../backup/catalog.ts';
import { backupContext, type BackupContext } from '../../backup/context.ts';
import { startBackupDaemon, type BackupDaemon } from '../../backup/daemon.ts';
import type { ObjectStorage, PutOptions } from '../../backup/storage/types.ts';
import { validateConfig } from '../../core/config/load.ts';
import { resolveKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';
import { Lifecycle } from '../../core/lifecycle.ts';
import { startCluster, startS3, type Cluster, type S3Server } from '../env/index.ts';
import { eventually } from '../support/eventually.ts';

const logger = pino({ level: 'silent' });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * The real S3 storage, with a hold in the snapshot's upload: after `holdAfter` bytes it stops
 * passing bytes on until released, so the test knows the run is midway (a multipart upload with a
 * stored part exists) when it takes the Lease away.
 */
function holdingStorage(
  real: ObjectStorage,
  holdAfter: number,
): { storage: ObjectStorage; held: Promise<void>; release: () => void } {
  const held = deferred();
  const released = deferred();
  const storage: ObjectStorage = {
    location: real.location,
    put: (key: string, body: Readable, options?: PutOptions) => {
      if (!key.includes('etcd-snapshot')) return real.put(key, body, options);
      let passed = 0;
      const hold = new Transform({
        transform(chunk: Buffer, _enc, done) {
          passed += chunk.length;
          if (passed < holdAfter) {
            done(null, chunk);
            return;
          }
          held.resolve();
          void released.promise.then(() => done(null, chunk));
        },
      });
      body.on('error', (error) => hold.destroy(error));
      return real.put(key, body.pipe(hold), options);
    },
    get: (key, options) => real.get(key, options),
    head: (key) => real.head(key),
    list: (prefix) => real.list(prefix),
    delete: (key) => real.delete(key),
  };
  return { storage, held: held.promise, release: released.resolve };
}

describe('a backup run that loses leadership midway (real API server, etcd, MinIO)', () => {
  let cluster: Cluster;
  let s3: S3Server;
  let context: BackupContext | undefined;
  let daemon: BackupDaemon | undefined;
  let client: KubeClient | undefined;

  beforeAll(async () => {
    [cluster, s3] = await Promise.all([startCluster({ nodes: 1 }), startS3()]);
    // ~13 MiB of values (stored uncompressed), so that the snapshot needs several 5 MiB parts.
    for (let i = 0; i < 130; i++)
      await cluster.etcd.etcdctl(['put', `/registry/leadership/blob-${i}`, randomBytes(50 * 1024).toString('hex')]);
  });

  afterAll(async () => {
    await daemon?.stop().catch(() => undefined);
    client?.close();
    context?.storage.close?.();
    await Promise.allSettled([cluster?.stop(), s3?.stop()]);
  });

  it('is aborted: its multipart upload is aborted, nothing lists, and it counts as aborted', async () => {
    const etcd = cluster.etcd;
    const config = validateConfig(
      {
        cluster: { name: 'leadership' },
        backup: {
          storage: {
            type: 's3',
            prefix: 'lost',
            s3: {
              bucket: s3.bucket,
              endpoint: s3.endpoint,
              region: s3.region,
              forcePathStyle: true,
              accessKeyId: s3.accessKeyId,
              secretAccessKey: s3.secretAccessKey,
              serverSideEncryption: 'none',
              partSizeMiB: 5,
              queueSize: 1,
            },
          },
          etcd: {
            endpoints: etcd.endpoints,
            compression: 'none',
            ...(etcd.tls ? { caFile: etcd.tls.caFile, certFile: etcd.tls.certFile, keyFile: etcd.tls.keyFile } : {}),
          },
          // Yearly cron: only the catch-up run at leadership fires within the test.
          schedules: [{ name: 'etcd-yearly', cron: '0 0 1 1 *', catchUp: true }],
          leaderElection: {
            namespace: 'default',
            leaseName: 'wk-backup-lost',
            leaseDurationSeconds: 4,
            renewDeadlineSeconds: 3,
            retryPeriodSeconds: 1,
          },
        },
      },
      'test',
    );
    context = await backupContext(config);
    const holding = holdingStorage(context.storage, 6 * 1024 * 1024);
    client = new KubeClient(await resolveKubeAccess({ kubeconfig: cluster.adminKubeconfig }));
    const registry = new Registry();
    daemon = await startBackupDaemon(
      { config, logger, registry, lifecycle: new Lifecycle({ logger, stopTimeoutMs: 10_000 }) },
      { context: { ...context, storage: holding.storage }, kubeClient: client, identity: 'replica-a' },
    );

    await holding.held;
    expect(daemon.elector!.isLeader()).toBe(true);
    // Someone else takes the Lease: replica-a can no longer renew and steps down after its renew deadline.
    const leasePath = '/apis/coordination.k8s.io/v1/namespaces/default/leases/wk-backup-lost';
    const lease = JSON.parse((await cluster.request('GET', leasePath)).body) as { spec: Record<string, unknown> };
    const now = new Date().toISOString().replace('Z', '000Z');
    const taken = await cluster.request('PUT', leasePath, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: 'replica-b', renewTime: now, acquireTime: now, leaseDurationSeconds: 600 },
    });
    expect(taken.status).toBe(200);
    await eventually(
      () => daemon!.elector!.isLeader(),
      (leading) => !leading,
      'replica-a steps down',
    );
    holding.release();

    const runs = async (result: string): Promise<number> =>
      (await registry.getSingleMetric('watchkeeper_backup_runs_total')!.get()).values.find(
        (v) => v.labels.result === result,
      )?.value ?? 0;
    await eventually(
      () => runs('aborted'),
      (n) => n === 1,
      'the run counted as aborted',
    );
    expect(await runs('success')).toBe(0);
    expect(await runs('failure')).toBe(0);
    expect(await listBackups(context.storage, context.root, 'etcd')).toEqual([]);
    const s3Client = s3.client();
    try {
      const objects = await s3Client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'lost/' }));
      expect(objects.Contents ?? []).toEqual([]);
      const uploads = await s3Client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: 'lost/' }));
      expect(uploads.Uploads ?? []).toEqual([]);
    } finally {
      s3Client.destroy();
    }
  });
});
