import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Etcd3 } from 'etcd3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEtcdBackup } from '../../backup/etcd/backup.ts';
import type { Manifest } from '../../backup/manifest.ts';
import { pruneBackups } from '../../backup/prune.ts';
import { restoreEtcd } from '../../backup/restore/etcd.ts';
import { S3Storage } from '../../backup/storage/s3.ts';
import { manifestKey, objectKey, type LayoutRoot } from '../../backup/storage/layout.ts';
import { validateConfig } from '../../core/config/load.ts';
import { freePort, startEtcd, startS3, type EtcdServer, type S3Server } from '../env/index.ts';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const node = path.resolve('node_modules/.bin/node');
const root: LayoutRoot = { prefix: 'victim', cluster: 'it' };
const forgedId = '20990101T000000Z-hourly-ffff';

/** Every key of a restored data dir, read from an etcd started on it. */
async function restoredKeys(dataDir: string, binDir: string): Promise<string[]> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const child = spawn(
    path.join(binDir, 'etcd'),
    [
      '--name',
      'cp1',
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.on('close', resolve));
  const client = new Etcd3({ hosts: url });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return await client
          .getAll()
          .prefix('/registry/')
          .keys()
          .then((keys) => keys.sort());
      } catch (error) {
        if (attempt > 60 || child.exitCode !== null) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    client.close();
    child.kill('SIGTERM');
    await exited;
  }
}

describe('backups nobody can forge (real etcd, real MinIO)', () => {
  let etcd: EtcdServer;
  let s3: S3Server;
  let storage: S3Storage;
  let work: string;
  const key = randomBytes(32);
  let real: Manifest;
  let second: Manifest;

  const s3Settings = (): Record<string, unknown> => ({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  });
  const restoreOptions = (dataDir: string) => ({
    storage,
    root,
    dataDir,
    memberName: 'cp1',
    initialCluster: 'cp1=http://127.0.0.1:2380',
    initialAdvertisePeerUrls: 'http://127.0.0.1:2380',
    initialClusterToken: 'it',
    binDir: etcd.binDir,
    logger,
  });
  const copy = async (from: string, to: string): Promise<void> => {
    const client = s3.client();
    await client.send(new CopyObjectCommand({ Bucket: s3.bucket, CopySource: `${s3.bucket}/${from}`, Key: to }));
    client.destroy();
  };

  beforeAll(async () => {
    [etcd, s3] = await Promise.all([startEtcd(), startS3()]);
    work = await mkdtemp(path.join(tmpdir(), 'wk-forgery-'));
    const config = validateConfig(
      {
        cluster: { name: 'it' },
        backup: { storage: { type: 's3', s3: s3Settings() }, etcd: { endpoints: etcd.endpoints } },
      },
      'test',
    );
    storage = new S3Storage(config.backup.storage.s3!);
    const client = new Etcd3({ hosts: etcd.endpoints });
    await client.put('/registry/configmaps/default/real').value('1');
    // A minute apart: ids have second precision, and which one is newer matters here.
    real = await runEtcdBackup({
      storage,
      root,
      name: 'hourly',
      etcd: config.backup.etcd,
      encryptionKey: key,
      logger,
      now: () => new Date(Date.now() - 60_000),
    });
    second = await runEtcdBackup({
      storage,
      root,
      name: 'hourly',
      etcd: config.backup.etcd,
      encryptionKey: key,
      logger,
    });
    // The attacker's snapshot holds a key the real backups do not: a forged admin binding, say.
    await client.put('/registry/clusterrolebindings/forged').value('cluster-admin for the attacker');
    client.close();
    // What someone with PutObject rights alone can plant: a plaintext snapshot and manifest, dated far in the future.
    const planted = await runEtcdBackup({
      storage,
      root: { prefix: 'attacker', cluster: 'it' },
      name: 'hourly',
      etcd: config.backup.etcd,
      logger,
    });
    const snapshot = planted.objects[0]!;
    await copy(
      objectKey({ prefix: 'attacker', cluster: 'it' }, 'etcd', planted.id, snapshot.file),
      objectKey(root, 'etcd', forgedId, snapshot.file),
    );
    const s3client = s3.client();
    await s3client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: manifestKey(root, 'etcd', forgedId),
        Body: JSON.stringify({ ...planted, id: forgedId }),
      }),
    );
    s3client.destroy();
  });

  afterAll(async () => {
    storage?.close();
    await Promise.all([etcd?.stop(), s3?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('`restore etcd latest` with a key restores the newest authenticated backup, never the planted one', async () => {
    const configFile = path.join(work, 'restore.yaml');
    await writeFile(
      configFile,
      JSON.stringify({
        cluster: { name: 'it' },
        backup: {
          storage: { type: 's3', prefix: 'victim', s3: s3Settings() },
          encryption: { enabled: true, keyEnv: 'IT_KEY' },
          tools: { binDir: etcd.binDir },
        },
      }),
    );
    const dataDir = path.join(work, 'latest');
    const { stdout } = await run(
      node,
      [
        'cli/main.ts',
        'restore',
        'etcd',
        'latest',
        '--data-dir',
        dataDir,
        '--name',
        'cp1',
        '-c',
        configFile,
        '-o',
        'json',
      ],
      { env: { ...process.env, IT_KEY: key.toString('hex') } },
    );
    const result = JSON.parse(stdout) as { id: string; originVerified: boolean; warnings: string[] };
    expect(result).toMatchObject({ id: second.id, originVerified: true, warnings: [] });
    expect(await restoredKeys(dataDir, etcd.binDir)).toEqual(['/registry/configmaps/default/real']);
  });

  it('refuses the planted backup by id with a key, and without one says its origin cannot be verified', async () => {
    const refused = path.join(work, 'refused');
    await expect(restoreEtcd({ ...restoreOptions(refused), backup: forgedId, key })).rejects.toThrow(
      new RegExp(
        `manifest victim/it/etcd/${forgedId}/manifest.json is not authenticated .* refused while a backup key is configured`,
      ),
    );
    await expect(readdir(refused)).rejects.toThrow(/ENOENT/);
    // Asked for explicitly, an unauthenticated backup restores, and the result says what that means.
    const allowed = await restoreEtcd({
      ...restoreOptions(path.join(work, 'allowed')),
      backup: forgedId,
      key,
      allowUnauthenticated: true,
    });
    expect(allowed.warnings).toEqual([
      expect.stringMatching(/is not authenticated \(manifest format 2\): its origin cannot be verified/),
    ]);
    const keyless = path.join(work, 'keyless');
    const result = await restoreEtcd({ ...restoreOptions(keyless), backup: forgedId });
    expect(result.originVerified).toBe(false);
    expect(result.warnings).toEqual([
      `no backup key is configured, so the origin of backup ${forgedId} cannot be verified: anyone with write access to ${storage.location} could have written it`,
    ]);
  });

  it('refuses encrypted objects swapped between backups or roles', async () => {
    const snapshotOf = (m: Manifest): string => objectKey(root, 'etcd', m.id, m.objects[0]!.file);
    const client = s3.client();
    const original = Buffer.from(
      await (
        await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: snapshotOf(second) }))
      ).Body!.transformToByteArray(),
    );
    await copy(snapshotOf(real), snapshotOf(second));
    await expect(
      restoreEtcd({ ...restoreOptions(path.join(work, 'swapped')), backup: second.id, key }),
    ).rejects.toThrow(/is corrupted or truncated|fails authentication/);
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: snapshotOf(second), Body: original }));
    client.destroy();
    await expect(
      restoreEtcd({ ...restoreOptions(path.join(work, 'restored-again')), backup: second.id, key }),
    ).resolves.toMatchObject({ originVerified: true });
  });

  it('an interrupted restore removes the decrypted snapshot and everything else it wrote', async () => {
    const parent = path.join(work, 'interrupted');
    await mkdir(parent);
    const interrupt = new AbortController();
    await expect(
      restoreEtcd({
        ...restoreOptions(path.join(parent, 'data')),
        backup: second.id,
        key,
        signal: interrupt.signal,
        onProgress: () => interrupt.abort(new Error('received SIGINT')),
      }),
    ).rejects.toThrow(/the restore was interrupted; what it had written .* was removed/);
    expect(await readdir(parent)).toEqual([]);
  });

  it('retention keeps the real backups: the planted future-dated one neither counts nor is deleted', async () => {
    const result = await pruneBackups({
      storage,
      root,
      kind: 'etcd',
      name: 'hourly',
      policy: { keepLast: 1 },
      dryRun: true,
      logger,
      key,
    });
    expect(result.decision.keep.map((b) => b.id)).toEqual([second.id]);
    expect(result.decision.remove.map((b) => b.id)).toEqual([real.id]);
    expect(result.untrusted.map((b) => b.id)).toEqual([forgedId]);
  });
});
