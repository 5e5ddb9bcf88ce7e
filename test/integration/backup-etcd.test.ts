import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { Etcd3, type IOptions } from 'etcd3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../backup/catalog.ts';
import { runEtcdBackup } from '../../backup/etcd/backup.ts';
import { readManifest } from '../../backup/manifest.ts';
import { restoreEtcd } from '../../backup/restore/etcd.ts';
import { S3Storage } from '../../backup/storage/s3.ts';
import { objectKey, type LayoutRoot } from '../../backup/storage/layout.ts';
import { keyId } from '../../backup/stream/encryption.ts';
import { verifyBackup } from '../../backup/verify.ts';
import { validateConfig } from '../../core/config/load.ts';
import type { Config } from '../../core/config/schema.ts';
import { freePort, startEtcd, startS3, type EtcdServer, type S3Server } from '../env/index.ts';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const node = path.resolve('node_modules/.bin/node');

/** A config with the given backup section (defaults for everything else). */
function configWith(backup: Record<string, unknown>): Config {
  return validateConfig({ cluster: { name: 'it' }, backup }, 'test');
}

function s3Settings(s3: S3Server, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    ...extra,
  };
}

function etcdSettings(etcd: EtcdServer): Record<string, unknown> {
  return {
    endpoints: etcd.endpoints,
    ...(etcd.tls ? { caFile: etcd.tls.caFile, certFile: etcd.tls.certFile, keyFile: etcd.tls.keyFile } : {}),
    ...(etcd.auth ? { username: etcd.auth.user, password: etcd.auth.password } : {}),
  };
}

function clientOf(etcd: EtcdServer): Etcd3 {
  const options: IOptions = { hosts: etcd.endpoints };
  if (etcd.tls)
    options.credentials = {
      rootCertificate: readFileSync(etcd.tls.caFile),
      certChain: readFileSync(etcd.tls.certFile),
      privateKey: readFileSync(etcd.tls.keyFile),
    };
  if (etcd.auth) options.auth = { username: etcd.auth.user, password: etcd.auth.password };
  return new Etcd3(options);
}

/** Writes `count` keys shaped like Kubernetes objects; returns them. */
async function fill(etcd: EtcdServer, prefix: string, count: number, valueBytes = 200): Promise<Map<string, string>> {
  const client = clientOf(etcd);
  const written = new Map<string, string>();
  try {
    for (let i = 0; i < count; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
          const key = `${prefix}/ns-${(i + j) % 7}/obj-${i + j}`;
          const value = JSON.stringify({
            kind: 'ConfigMap',
            n: i + j,
            data: randomBytes(valueBytes / 2).toString('hex'),
          });
          await client.put(key).value(value);
          written.set(key, value);
        }),
      );
    }
  } finally {
    client.close();
  }
  return written;
}

/** Starts etcd on a restored data dir and returns every key under the prefix. */
async function readRestored(
  dataDir: string,
  name: string,
  binDir: string,
  prefix: string,
  auth?: { user: string; password: string },
): Promise<Map<string, string>> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const url = `http://127.0.0.1:${clientPort}`;
  const child = spawn(
    path.join(binDir, 'etcd'),
    [
      '--name',
      name,
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
  // Users and roles are part of the snapshot: a restored etcd with auth enabled still wants them.
  const client = new Etcd3({ hosts: url, ...(auth ? { auth: { username: auth.user, password: auth.password } } : {}) });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return new Map(Object.entries(await client.getAll().prefix(prefix).strings()));
      } catch (error) {
        if (attempt > 60 || child.exitCode !== null) throw error;
        await delay(500);
      }
    }
  } finally {
    client.close();
    child.kill('SIGTERM');
    await exited;
  }
}

async function listKeys(s3: S3Server, prefix: string): Promise<string[]> {
  const client = s3.client();
  try {
    const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    return (page.Contents ?? []).map((o) => o.Key!);
  } finally {
    client.destroy();
  }
}

describe('etcd backups to S3 (real etcd, real MinIO)', () => {
  let plain: EtcdServer;
  let secure: EtcdServer;
  let s3: S3Server;
  let work: string;
  const key = randomBytes(32);
  let plainKeys: Map<string, string>;
  let secureKeys: Map<string, string>;

  beforeAll(async () => {
    [plain, secure, s3] = await Promise.all([
      startEtcd(),
      startEtcd({ tls: true, auth: { user: 'root', password: 'rootpw' } }),
      startS3(),
    ]);
    work = await mkdtemp(path.join(tmpdir(), 'wk-backup-it-'));
    plainKeys = await fill(plain, '/registry/configmaps', 600);
    secureKeys = await fill(secure, '/registry/secrets', 300);
  });

  afterAll(async () => {
    await Promise.all([plain?.stop(), secure?.stop(), s3?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('snapshot -> encrypted zstd upload -> list -> verify -> restore with etcdutl -> every key is there', async () => {
    const config = configWith({
      storage: { type: 's3', s3: s3Settings(s3, { partSizeMiB: 5 }) },
      etcd: etcdSettings(plain),
    });
    const storage = new S3Storage(config.backup.storage.s3!);
    const root: LayoutRoot = { prefix: 'watchkeeper', cluster: 'it' };
    const manifest = await runEtcdBackup({
      storage,
      root,
      name: 'manual',
      etcd: config.backup.etcd,
      encryptionKey: key,
      logger,
    });
    expect(manifest.etcd!.revision).toBe(String(plainKeys.size + 1));
    expect(manifest.objects[0]!.encryption).toEqual({ algorithm: 'WKBKENC2-AES-256-GCM', keyId: keyId(key) });
    expect((await listBackups(storage, root, 'etcd')).map((b) => b.id)).toEqual([manifest.id]);
    expect(await readManifest(storage, root, 'etcd', manifest.id)).toEqual(manifest);

    const verified = await verifyBackup({
      storage,
      root,
      kind: 'etcd',
      id: manifest.id,
      key,
      restoreTest: 'auto',
      binDir: plain.binDir,
      logger,
    });
    expect(verified.restore).toEqual({ keys: plainKeys.size, revision: String(plainKeys.size + 1) });

    const dataDir = path.join(work, 'restore-plain');
    const result = await restoreEtcd({
      storage,
      root,
      backup: 'latest',
      dataDir,
      memberName: 'restored',
      initialCluster: 'restored=http://127.0.0.1:2380',
      initialAdvertisePeerUrls: 'http://127.0.0.1:2380',
      initialClusterToken: 'it',
      key,
      binDir: plain.binDir,
      logger,
    });
    expect(path.basename(result.tool)).toBe('etcdutl');
    expect(result.nextSteps).toContain('/etc/kubernetes/manifests');
    expect(await readRestored(dataDir, 'restored', plain.binDir, '/registry/')).toEqual(plainKeys);
    expect((await readdir(work)).filter((f) => f.startsWith('.watchkeeper-restore'))).toEqual([]);
    storage.close();
  });

  it('TLS + auth etcd, gzip, through the CLI: backup etcd, backups list, restore etcd, then every key is there', async () => {
    const pki = path.join(work, 'pki');
    await mkdir(path.join(pki, 'etcd'), { recursive: true });
    await writeFile(path.join(pki, 'etcd', 'ca.key'), 'PRIVATE KEY');
    await writeFile(path.join(work, 'admin.conf'), 'apiVersion: v1');
    const configFile = path.join(work, 'cli.yaml');
    await writeFile(
      configFile,
      JSON.stringify({
        cluster: { name: 'cli' },
        backup: {
          storage: { type: 's3', prefix: 'cli', s3: s3Settings(s3) },
          encryption: { enabled: true, keyEnv: 'IT_BACKUP_KEY' },
          etcd: { ...etcdSettings(secure), compression: 'gzip', files: [pki, path.join(work, 'admin.conf')] },
          tools: { binDir: secure.binDir },
        },
      }),
    );
    const env = { ...process.env, IT_BACKUP_KEY: key.toString('hex') };
    const cli = (args: string[]) => run(node, ['cli/main.ts', ...args, '-c', configFile], { env });
    const backup = JSON.parse((await cli(['backup', 'etcd', '-o', 'json'])).stdout) as {
      id: string;
      files: { path: string }[];
    };
    expect(backup.files.map((f) => f.path).sort()).toEqual([
      path.join(work, 'admin.conf'),
      path.join(pki, 'etcd', 'ca.key'),
    ]);
    const listed = JSON.parse((await cli(['backups', 'list', '-o', 'json'])).stdout) as { id: string }[];
    expect(listed.map((b) => b.id)).toEqual([backup.id]);
    const dataDir = path.join(work, 'restore-secure');
    const filesDir = path.join(work, 'restored-files');
    const restored = JSON.parse(
      (
        await cli([
          'restore',
          'etcd',
          backup.id,
          '--data-dir',
          dataDir,
          '--name',
          'cp1',
          '--files-dir',
          filesDir,
          '-o',
          'json',
        ])
      ).stdout,
    ) as { filesWritten: string[] };
    expect(restored.filesWritten.length).toBe(2);
    expect(readFileSync(path.join(filesDir, pki, 'etcd', 'ca.key'), 'utf8')).toBe('PRIVATE KEY');
    const keys = await readRestored(dataDir, 'cp1', secure.binDir, '/registry/', secure.auth);
    expect(keys).toEqual(secureKeys);
  });

  it('refuses control-plane files without encryption unless explicitly allowed', async () => {
    const config = configWith({ etcd: { ...etcdSettings(plain), files: [work] } });
    const storage = new S3Storage(configWith({ storage: { type: 's3', s3: s3Settings(s3) } }).backup.storage.s3!);
    await expect(
      runEtcdBackup({
        storage,
        root: { prefix: 'nofiles', cluster: 'it' },
        name: 'manual',
        etcd: config.backup.etcd,
        logger,
      }),
    ).rejects.toThrow(/enable backup.encryption .* or set backup.etcd.allowUnencryptedFiles: true/);
    expect(await listKeys(s3, 'nofiles/')).toEqual([]);
    storage.close();
  });

  it('an S3 failure in the middle of an upload leaves no listed backup', async () => {
    // ~24 MiB of incompressible values, 5 MiB parts: MinIO is stopped once 8 MiB have been read from etcd.
    await fill(plain, '/registry/big', 96, 256 * 1024);
    const config = configWith({
      storage: { type: 's3', s3: s3Settings(s3, { partSizeMiB: 5, queueSize: 1 }) },
      etcd: etcdSettings(plain),
    });
    const storage = new S3Storage(config.backup.storage.s3!);
    const root: LayoutRoot = { prefix: 'fault', cluster: 'it' };
    let stopped: Promise<void> | undefined;
    const error = await runEtcdBackup({
      storage,
      root,
      name: 'manual',
      etcd: { ...config.backup.etcd, compression: 'none' },
      logger,
      onProgress: (_phase, bytes) => {
        if (bytes > 8 * 1024 * 1024) stopped ??= s3.process.stop();
      },
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(stopped).toBeDefined();
    expect(error?.message).toMatch(
      /uploading fault\/it\/etcd\/.*etcd-snapshot\.db to s3:\/\/.*: the S3 server is unreachable|uploading fault/,
    );
    await stopped;
    await s3.process.start();
    expect(await listBackups(storage, root, 'etcd')).toEqual([]);
    expect(await listKeys(s3, 'fault/')).toEqual([]);
    storage.close();
    // The multipart upload could not be aborted while MinIO was down; it is invisible to listings
    // (only ListMultipartUploads shows it) and a bucket lifecycle rule removes it.
    const client = s3.client();
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: 'fault/' }));
    client.destroy();
    expect((uploads.Uploads ?? []).every((u) => u.Key?.endsWith('etcd-snapshot.db'))).toBe(true);
  });

  it('refuses a corrupted, truncated or wrongly keyed download and leaves the data dir empty', async () => {
    const config = configWith({ storage: { type: 's3', s3: s3Settings(s3) }, etcd: etcdSettings(plain) });
    const storage = new S3Storage(config.backup.storage.s3!);
    const root: LayoutRoot = { prefix: 'corrupt', cluster: 'it' };
    const manifest = await runEtcdBackup({
      storage,
      root,
      name: 'manual',
      etcd: config.backup.etcd,
      encryptionKey: key,
      logger,
    });
    const objectName = objectKey(root, 'etcd', manifest.id, manifest.objects[0]!.file);
    const client = s3.client();
    const original = Buffer.from(
      await (
        await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: objectName }))
      ).Body!.transformToByteArray(),
    );
    const restore = (dataDir: string, withKey = key) =>
      restoreEtcd({
        storage,
        root,
        backup: manifest.id,
        dataDir,
        memberName: 'x',
        initialCluster: 'x=http://127.0.0.1:2380',
        initialAdvertisePeerUrls: 'http://127.0.0.1:2380',
        initialClusterToken: 'it',
        key: withKey,
        binDir: plain.binDir,
        logger,
      });

    const flipped = Buffer.from(original);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: objectName, Body: flipped }));
    const target = path.join(work, 'corrupt-target');
    await expect(restore(target)).rejects.toThrow(/modified or is corrupted|corrupted/);
    await expect(readdir(target)).rejects.toThrow(/ENOENT/);
    await expect(
      verifyBackup({ storage, root, kind: 'etcd', id: manifest.id, key, restoreTest: 'never', logger }),
    ).rejects.toThrow(/corrupted/);
    // Without the key only the stored bytes can be checked, and they do not match the manifest.
    await expect(
      verifyBackup({ storage, root, kind: 'etcd', id: manifest.id, restoreTest: 'never', logger }),
    ).rejects.toThrow(/corrupted or truncated: downloaded/);

    await client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: objectName, Body: original.subarray(0, original.length - 100) }),
    );
    await expect(restore(target)).rejects.toThrow(/truncated/);

    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: objectName, Body: original }));
    // The manifest is authenticated by the key: a wrong key is named before anything is downloaded.
    await expect(restore(target, randomBytes(32))).rejects.toThrow(
      new RegExp(
        `manifest .*${manifest.id}/manifest.json is authenticated with key id ${keyId(key)}, the configured key has id [0-9a-f]{16}`,
      ),
    );
    const nonEmpty = path.join(work, 'non-empty');
    await mkdir(nonEmpty);
    await writeFile(path.join(nonEmpty, 'member'), 'x');
    await expect(restore(nonEmpty)).rejects.toThrow(/--data-dir .* is not empty/);
    await expect(
      restoreEtcd({
        storage,
        root,
        backup: '20200101T000000Z-manual-0000',
        dataDir: target,
        memberName: 'x',
        initialCluster: 'x=http://127.0.0.1:2380',
        initialAdvertisePeerUrls: 'http://127.0.0.1:2380',
        initialClusterToken: 'it',
        key,
        logger,
      }),
    ).rejects.toThrow(/backup 20200101T000000Z-manual-0000 does not exist/);
    // The untouched object restores fine: the checks above refused damage, not the backup.
    await restore(target);
    expect((await readRestored(target, 'x', plain.binDir, '/registry/configmaps')).size).toBe(plainKeys.size);
    client.destroy();
    storage.close();
  });

  it('names the cause when etcd or S3 cannot be used', async () => {
    const deadPort = await freePort();
    const storage = new S3Storage(configWith({ storage: { type: 's3', s3: s3Settings(s3) } }).backup.storage.s3!);
    const root: LayoutRoot = { prefix: 'errors', cluster: 'it' };
    const unreachable = configWith({ etcd: { endpoints: [`http://127.0.0.1:${deadPort}`], dialTimeoutSeconds: 1 } });
    await expect(
      runEtcdBackup({ storage, root, name: 'manual', etcd: unreachable.backup.etcd, logger }),
    ).rejects.toThrow(
      new RegExp(`no healthy etcd member.*\\n.*etcd http://127.0.0.1:${deadPort}: status: etcd is unreachable`),
    );
    const badPassword = configWith({ etcd: { ...etcdSettings(secure), password: 'wrong' } });
    await expect(
      runEtcdBackup({ storage, root, name: 'manual', etcd: badPassword.backup.etcd, logger }),
    ).rejects.toThrow(/authentication failed/);
    const wrongCredentials = new S3Storage(
      configWith({ storage: { type: 's3', s3: s3Settings(s3, { secretAccessKey: 'not-the-secret' }) } }).backup.storage
        .s3!,
    );
    await expect(
      runEtcdBackup({
        storage: wrongCredentials,
        root,
        name: 'manual',
        etcd: configWith({ etcd: etcdSettings(plain) }).backup.etcd,
        logger,
      }),
    ).rejects.toThrow(/the secret access key is wrong/);
    const s3Down = new S3Storage(
      configWith({ storage: { type: 's3', s3: { ...s3Settings(s3), endpoint: `http://127.0.0.1:${deadPort}` } } })
        .backup.storage.s3!,
    );
    await expect(listBackups(s3Down, root, 'etcd')).rejects.toThrow(
      /listing errors\/it\/etcd\/ in s3:.*: the S3 server is unreachable \(ECONNREFUSED\)/,
    );
    expect(await listKeys(s3, 'errors/')).toEqual([]);
    for (const s of [storage, wrongCredentials, s3Down]) s.close();
  });
});
