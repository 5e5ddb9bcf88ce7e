import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import { restoreApiBackup } from '../../backup/api/restore.ts';
import { listBackups } from '../../backup/catalog.ts';
import { pruneBackups } from '../../backup/prune.ts';
import { backupContext } from '../../backup/context.ts';
import { startBackupDaemon } from '../../backup/daemon.ts';
import { readManifest } from '../../backup/manifest.ts';
import { manifestKey, objectKey } from '../../backup/storage/layout.ts';
import { validateConfig } from '../../core/config/load.ts';
import { Lifecycle } from '../../core/lifecycle.ts';
import { resolveKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';
import { isStatus } from '../../core/kube/errors.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import { startWatch, type WatchHandle } from '../../core/kube/watch.ts';
import { startCluster, startS3, type Cluster, type S3Server } from '../env/index.ts';
import { writeKubeconfig } from '../env/kubeconfig.ts';
import { eventually, until } from '../support/eventually.ts';

const main = join(import.meta.dirname, '../../cli/main.ts');
const deployDir = join(import.meta.dirname, '../../deploy/kubernetes');
const key = randomBytes(32).toString('hex');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the watchkeeper CLI as a user would, with the test's configuration and key. */
function cli(config: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main, ...args, '-c', config],
      { env: { ...process.env, WATCHKEEPER_BACKUP_KEY: key, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

function json<T = Record<string, unknown>>(result: CliResult): T {
  if (result.code !== 0)
    throw new Error(`watchkeeper exited ${result.code}: ${result.stderr}${result.stdout.slice(0, 2000)}`);
  return JSON.parse(result.stdout) as T;
}

interface Row {
  resource: string;
  namespace?: string;
  name: string;
  result: string;
  reason?: string;
}
interface RestoreOutput {
  restoreId: string;
  counts: Record<string, number>;
  reportKey: string;
  objects: Row[];
}

const labels = { app: 'shop' };
const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        },
      },
    ],
  },
};
const podTemplate = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'registry.example/shop:1' }] } };

/** Every object the test creates: [collection path, object]. The selected ones carry app=shop. */
function fixtures(): [string, KubeObject][] {
  const ns = (name: string): [string, KubeObject] => [
    '/api/v1/namespaces',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  ];
  return [
    ns('shop-a'),
    ns('shop-b'),
    ns('other'),
    [
      '/api/v1/persistentvolumes',
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'pv-shop' },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'manual',
          persistentVolumeReclaimPolicy: 'Retain',
          hostPath: { path: '/tmp/pv-shop' },
        },
      },
    ],
    [
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'shop-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
      },
    ],
    [
      '/api/v1/namespaces/shop-a/configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', labels }, data: { color: 'blue' } },
    ],
    [
      '/api/v1/namespaces/shop-a/configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unlabelled' }, data: { a: 'b' } },
    ],
    [
      '/api/v1/namespaces/shop-a/configmaps',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'excluded', labels: { ...labels, 'watchkeeper.io/exclude-from-backup': 'true' } },
        data: { a: 'b' },
      },
    ],
    [
      '/api/v1/namespaces/shop-a/secrets',
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds', labels },
        type: 'Opaque',
        stringData: { password: 'hunter2' },
      },
    ],
    [
      '/api/v1/namespaces/shop-a/serviceaccounts',
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'shop', labels } },
    ],
    [
      '/apis/rbac.authorization.k8s.io/v1/namespaces/shop-a/roles',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'shop', labels },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      },
    ],
    [
      '/apis/rbac.authorization.k8s.io/v1/namespaces/shop-a/rolebindings',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'shop', labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'shop' },
        subjects: [{ kind: 'ServiceAccount', name: 'shop', namespace: 'shop-a' }],
      },
    ],
    [
      '/apis/rbac.authorization.k8s.io/v1/namespaces/shop-a/rolebindings',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'shop-reader', labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'shop-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'shop', namespace: 'shop-a' }],
      },
    ],
    [
      '/api/v1/namespaces/shop-a/persistentvolumeclaims',
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', labels },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'manual',
          resources: { requests: { storage: '1Gi' } },
        },
      },
    ],
    [
      '/api/v1/namespaces/shop-a/services',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', labels },
        spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
      },
    ],
    [
      '/apis/apps/v1/namespaces/shop-a/deployments',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', labels },
        spec: { replicas: 2, selector: { matchLabels: labels }, template: podTemplate },
      },
    ],
    [
      '/apis/example.com/v1/namespaces/shop-a/widgets',
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', labels }, spec: { size: 3 } },
    ],
    [
      '/apis/example.com/v1/namespaces/shop-a/widgets',
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w-unlabelled' }, spec: { size: 1 } },
    ],
    [
      '/api/v1/namespaces/shop-b/services',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'db', labels },
        spec: { clusterIP: 'None', selector: labels, ports: [{ port: 5432 }] },
      },
    ],
    [
      '/apis/apps/v1/namespaces/shop-b/statefulsets',
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', labels },
        spec: { replicas: 1, serviceName: 'db', selector: { matchLabels: labels }, template: podTemplate },
      },
    ],
    [
      '/api/v1/namespaces/shop-b/configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'db-cfg', labels }, data: { max: '100' } },
    ],
    [
      '/api/v1/namespaces/other/configmaps',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'not-shop', labels: { app: 'other' } },
        data: { a: 'b' },
      },
    ],
  ];
}

/** Applies the namespace and RBAC manifests of deploy/kubernetes. */
async function applyDeployRbac(admin: KubeClient): Promise<void> {
  const plural: Record<string, string> = {
    Namespace: 'namespaces',
    ServiceAccount: 'serviceaccounts',
    ClusterRole: 'clusterroles',
    ClusterRoleBinding: 'clusterrolebindings',
    Role: 'roles',
    RoleBinding: 'rolebindings',
  };
  for (const file of ['namespace.yaml', 'rbac.yaml']) {
    for (const doc of parseAllDocuments(readFileSync(join(deployDir, file), 'utf8'))) {
      const m = doc.toJS() as KubeObject & { apiVersion: string; kind: string };
      const base = m.apiVersion === 'v1' ? '/api/v1' : `/apis/${m.apiVersion}`;
      await admin.postJson(
        `${base}${m.metadata.namespace ? `/namespaces/${m.metadata.namespace}` : ''}/${plural[m.kind]!}`,
        m,
      );
    }
  }
}

/** A kubeconfig with a fresh token of a service account in namespace watchkeeper. */
async function serviceAccountKubeconfig(
  cluster: Cluster,
  admin: KubeClient,
  name: string,
  path: string,
): Promise<string> {
  const request = await admin.postJson<{ status: { token: string } }>(
    `/api/v1/namespaces/watchkeeper/serviceaccounts/${name}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  );
  return writeKubeconfig(path, cluster.server, cluster.caFile, { token: request.status.token });
}

/** What a user compares after a restore: the object without what the server owns or the restore adds. */
function comparable(object: KubeObject): unknown {
  const copy = structuredClone(object) as Record<string, unknown> & KubeObject;
  delete copy.status;
  const meta = copy.metadata as Record<string, unknown>;
  for (const f of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'ownerReferences'])
    delete meta[f];
  const l = copy.metadata.labels;
  if (l) {
    delete l['watchkeeper.io/backup-id'];
    delete l['watchkeeper.io/restore-id'];
    if (Object.keys(l).length === 0) delete copy.metadata.labels;
  }
  const spec = copy.spec as Record<string, unknown> | undefined;
  if (copy.kind === 'Service' && spec?.clusterIP !== 'None') {
    delete spec?.clusterIP;
    delete spec?.clusterIPs;
  }
  // The claim is a new object: the PV controller binds the PV to its new uid.
  if (copy.kind === 'PersistentVolume') {
    const claimRef = spec?.claimRef as Record<string, unknown> | undefined;
    delete claimRef?.uid;
    delete claimRef?.resourceVersion;
  }
  return copy;
}

describe('API backups and restores (real API server with kwok nodes, MinIO)', () => {
  let cluster: Cluster;
  let s3: S3Server;
  let admin: KubeClient;
  let dir: string;
  let config: string;
  const originals = new Map<string, unknown>();
  let backupId: string;
  let backupKubeconfig: string;
  let restoreKubeconfig: string;
  const restoreCli = (args: string[]): Promise<CliResult> =>
    cli(config, ['restore', 'api', ...args, '--kubeconfig', restoreKubeconfig]);

  const get = (path: string): Promise<KubeObject> => admin.getJson<KubeObject>(path);
  const absent = async (path: string): Promise<boolean> => {
    try {
      await admin.getJson(path);
      return false;
    } catch (error) {
      if (isStatus(error, 404)) return true;
      throw error;
    }
  };
  const selectedPaths = [
    '/api/v1/namespaces/shop-a/configmaps/cfg',
    '/api/v1/namespaces/shop-a/secrets/creds',
    '/api/v1/namespaces/shop-a/serviceaccounts/shop',
    '/apis/rbac.authorization.k8s.io/v1/namespaces/shop-a/roles/shop',
    '/apis/rbac.authorization.k8s.io/v1/namespaces/shop-a/rolebindings/shop',
    '/apis/rbac.authorization.k8s.io/v1/namespaces/shop-a/rolebindings/shop-reader',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles/shop-reader',
    '/api/v1/namespaces/shop-a/persistentvolumeclaims/data',
    '/api/v1/persistentvolumes/pv-shop',
    '/api/v1/namespaces/shop-a/services/web',
    '/apis/apps/v1/namespaces/shop-a/deployments/web',
    '/apis/example.com/v1/namespaces/shop-a/widgets/w1',
    '/api/v1/namespaces/shop-b/services/db',
    '/apis/apps/v1/namespaces/shop-b/statefulsets/db',
    '/api/v1/namespaces/shop-b/configmaps/db-cfg',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com',
  ];

  beforeAll(async () => {
    [cluster, s3] = await Promise.all([startCluster({ nodes: 2 }), startS3()]);
    admin = new KubeClient(await resolveKubeAccess({ kubeconfig: cluster.adminKubeconfig }));
    dir = await mkdtemp(join(tmpdir(), 'wk-api-backup-'));
    config = join(dir, 'watchkeeper.json');
    // The identities of deploy/kubernetes: backups run as watchkeeper-backup, restores as watchkeeper-restore.
    await applyDeployRbac(admin);
    backupKubeconfig = await serviceAccountKubeconfig(
      cluster,
      admin,
      'watchkeeper-backup',
      join(dir, 'backup.kubeconfig'),
    );
    restoreKubeconfig = await serviceAccountKubeconfig(
      cluster,
      admin,
      'watchkeeper-restore',
      join(dir, 'restore.kubeconfig'),
    );
    await writeFile(
      config,
      JSON.stringify({
        cluster: { name: 'api-it' },
        kubernetes: { kubeconfig: backupKubeconfig },
        backup: {
          storage: {
            type: 's3',
            prefix: 'it',
            s3: {
              bucket: s3.bucket,
              endpoint: s3.endpoint,
              region: s3.region,
              forcePathStyle: true,
              accessKeyId: s3.accessKeyId,
              secretAccessKey: s3.secretAccessKey,
            },
          },
          encryption: { enabled: true },
        },
      }),
    );
    await admin.postJson('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    await until(
      async () =>
        (
          (await get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status as
            { conditions?: { type: string; status: string }[] } | undefined
        )?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true,
      'CRD established',
    );
    for (const [path, object] of fixtures()) {
      await eventually(
        () => admin.postJson(path, object),
        () => true,
        `create ${path} ${object.metadata.name}`,
        30_000,
      );
    }
    await until(
      async () =>
        (
          (await get('/apis/apps/v1/namespaces/shop-a/deployments/web')).status as
            { readyReplicas?: number } | undefined
        )?.readyReplicas === 2,
      'deployment web ready',
    );
    await until(
      async () =>
        ((await get('/api/v1/namespaces/shop-a/persistentvolumeclaims/data')).status as { phase?: string } | undefined)
          ?.phase === 'Bound',
      'PVC bound',
    );
    await until(
      async () =>
        (
          (await get('/apis/apps/v1/namespaces/shop-b/statefulsets/db')).status as
            { readyReplicas?: number } | undefined
        )?.readyReplicas === 1,
      'statefulset db ready',
    );
    for (const path of selectedPaths) originals.set(path, comparable(await get(path)));
  }, 240_000);

  afterAll(async () => {
    admin?.close();
    await Promise.all([cluster?.stop(), s3?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('backs up the selected objects with the cluster-scoped objects they reference, encrypted', async () => {
    const manifest = json<{
      id: string;
      objects: { encryption: unknown }[];
      authentication?: unknown;
      api: {
        objectCount: number;
        secretsIncluded: boolean;
        resources: {
          resource: string;
          group: string;
          count: number;
          namespaces: Record<string, number>;
          resourceVersion: string;
        }[];
        missing: unknown[];
      };
    }>(await cli(config, ['backup', 'api', '-l', 'app=shop', '-o', 'json']));
    backupId = manifest.id;
    const count = (resource: string, group = ''): number =>
      manifest.api.resources.find((r) => r.resource === resource && r.group === group)?.count ?? 0;
    expect(manifest.objects.every((o) => o.encryption !== null)).toBe(true);
    expect(manifest.authentication).toMatchObject({ algorithm: 'HMAC-SHA256' });
    expect(manifest.api.secretsIncluded).toBe(true);
    expect(manifest.api.missing).toEqual([]);
    expect({
      configmaps: count('configmaps'),
      secrets: count('secrets'),
      deployments: count('deployments', 'apps'),
      statefulsets: count('statefulsets', 'apps'),
      pods: count('pods'),
      widgets: count('widgets', 'example.com'),
      namespaces: count('namespaces'),
      persistentvolumes: count('persistentvolumes'),
      clusterroles: count('clusterroles', 'rbac.authorization.k8s.io'),
      crds: count('customresourcedefinitions', 'apiextensions.k8s.io'),
      events: count('events'),
    }).toEqual({
      configmaps: 2,
      secrets: 1,
      deployments: 1,
      statefulsets: 1,
      pods: 3,
      widgets: 1,
      namespaces: 2,
      persistentvolumes: 1,
      clusterroles: 1,
      crds: 1,
      events: 0,
    });
    expect(manifest.api.resources.find((r) => r.resource === 'configmaps')?.namespaces).toEqual({
      'shop-a': 1,
      'shop-b': 1,
    });
    expect(manifest.api.resources.every((r) => /^\d+$/.test(r.resourceVersion))).toBe(true);

    const verified = await cli(config, ['backups', 'verify', backupId, '--kind', 'api']);
    expect(verified.code, verified.stderr).toBe(0);
    const described = await cli(config, ['backups', 'describe', backupId, '--kind', 'api']);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/deployments\.apps\s+shop-a\s+1/);
    const shown = json<KubeObject>(await cli(config, ['backups', 'show', backupId, 'configmaps/cfg', '-n', 'shop-a']));
    expect(shown.data).toEqual({ color: 'blue' });
  }, 120_000);

  it('a planted plaintext backup dated far in the future is never latest nor counted by retention, is refused by id with a key, and warns without one', async () => {
    const root = { prefix: 'it', cluster: 'api-it' };
    const forgedId = '20990101T000000Z-manual-ffff';
    const client = s3.client();
    const copy = (from: string, to: string): Promise<unknown> =>
      client.send(new CopyObjectCommand({ Bucket: s3.bucket, CopySource: `${s3.bucket}/${from}`, Key: to }));
    try {
      // What someone with PutObject rights alone can plant: a plaintext archive and manifest written by watchkeeper without a key.
      const planted = json<{ id: string; objects: { file: string }[] } & Record<string, unknown>>(
        await cli(config, [
          'backup',
          'api',
          '-l',
          'app=shop',
          '--include-namespaces',
          'shop-a',
          '--set',
          'backup.storage.prefix=attacker',
          '--set',
          'backup.encryption.enabled=false',
          '-o',
          'json',
        ]),
      );
      for (const o of planted.objects)
        await copy(
          objectKey({ ...root, prefix: 'attacker' }, 'api', planted.id, o.file),
          objectKey(root, 'api', forgedId, o.file),
        );
      await client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: manifestKey(root, 'api', forgedId),
          Body: JSON.stringify({ ...planted, id: forgedId }),
        }),
      );

      const latest = json<RestoreOutput & { backupId: string; originVerified: boolean; warnings: string[] }>(
        await restoreCli(['latest', '--dry-run', '-o', 'json']),
      );
      expect(latest).toMatchObject({ backupId, originVerified: true, warnings: [] });
      const refused = await restoreCli([forgedId, '--dry-run']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(
          `manifest it/api-it/api/${forgedId}/manifest.json is not authenticated .* refused while a backup key is configured`,
        ),
      );
      const allowed = json<{ backupId: string; originVerified: boolean; warnings: string[] }>(
        await restoreCli([forgedId, '--dry-run', '--allow-unauthenticated', '-o', 'json']),
      );
      expect(allowed).toMatchObject({ backupId: forgedId, originVerified: false });
      expect(allowed.warnings).toEqual([
        expect.stringMatching(/is not authenticated \(manifest format 2\): its origin cannot be verified/),
      ]);
      const keyless = await cli(
        config,
        [
          'restore',
          'api',
          forgedId,
          '--dry-run',
          '--kubeconfig',
          restoreKubeconfig,
          '--set',
          'backup.encryption.enabled=false',
          '-o',
          'json',
        ],
        { WATCHKEEPER_BACKUP_KEY: '' },
      );
      expect(json<{ originVerified: boolean }>(keyless).originVerified).toBe(false);
      expect(keyless.stderr).toContain(
        `no backup key is configured, so the origin of backup ${forgedId} cannot be verified`,
      );
      // Retention neither counts the planted backup nor deletes it.
      const ctx = await backupContext(validateConfig(JSON.parse(await readFile(config, 'utf8')), 'test'), {
        WATCHKEEPER_BACKUP_KEY: key,
      });
      try {
        const pruned = await pruneBackups({
          storage: ctx.storage,
          root: ctx.root,
          kind: 'api',
          name: 'manual',
          policy: { keepLast: 1 },
          dryRun: true,
          key: ctx.key,
          logger: pino({ level: 'silent' }),
        });
        expect(pruned.decision.keep.map((b) => b.id)).toEqual([backupId]);
        expect(pruned.decision.remove).toEqual([]);
        expect(pruned.untrusted.map((b) => b.id)).toEqual([forgedId]);
      } finally {
        ctx.storage.close?.();
      }
    } finally {
      client.destroy();
    }
  }, 180_000);

  it('an interrupted restore (SIGINT while verifying or applying) removes its work files, which were 0600 in a 0700 directory', async () => {
    const ctx = await backupContext(validateConfig(JSON.parse(await readFile(config, 'utf8')), 'test'), {
      WATCHKEEPER_BACKUP_KEY: key,
    });
    try {
      const manifest = await readManifest(ctx.storage, ctx.root, 'api', backupId, { key: ctx.key });
      for (const phase of ['verify', 'apply'] as const) {
        const workDir = await mkdtemp(join(dir, `interrupt-${phase}-`));
        const interrupt = new AbortController();
        const modes: number[] = [];
        const onProgress = (at: 'verify' | 'apply'): void => {
          if (at !== phase || interrupt.signal.aborted) return;
          const [work] = readdirSync(workDir);
          modes.push(
            statSync(join(workDir, work!)).mode & 0o777,
            ...readdirSync(join(workDir, work!)).map((f) => statSync(join(workDir, work!, f)).mode & 0o777),
          );
          interrupt.abort(new Error('received SIGINT'));
        };
        await expect(
          restoreApiBackup({
            storage: ctx.storage,
            root: ctx.root,
            client: admin,
            manifest,
            key: ctx.key,
            signal: interrupt.signal,
            onProgress,
            filters: {
              selectors: [],
              includeNamespaces: [],
              excludeNamespaces: [],
              includeResources: [],
              excludeResources: [],
              names: [],
            },
            namespaceMap: new Map(),
            existing: 'skip',
            dryRun: true,
            restoreStatus: false,
            keepManagedFields: false,
            concurrency: 1,
            workDir,
            logger: pino({ level: 'silent' }),
          }),
        ).rejects.toThrow(/the restore was interrupted; its work files \(decrypted objects\) in .* were removed/);
        expect(modes[0], phase).toBe(0o700);
        expect(modes.length, phase).toBeGreaterThan(1);
        expect(
          modes.slice(1).every((m) => m === 0o600),
          phase,
        ).toBe(true);
        expect(await readdir(workDir), phase).toEqual([]);
      }
    } finally {
      ctx.storage.close?.();
    }
  }, 120_000);

  it('runs kind: api schedules in the leader-elected daemon, with per-resource metrics', async () => {
    const daemonConfig = validateConfig(
      {
        cluster: { name: 'api-daemon' },
        backup: {
          storage: { type: 'directory', directory: join(dir, 'daemon-store') },
          // Yearly cron: only the catch-up run at leadership fires within the test.
          schedules: [
            {
              name: 'api-yearly',
              kind: 'api',
              cron: '0 0 1 1 *',
              catchUp: true,
              api: { selectors: ['app=shop'], includeResources: ['configmaps', 'deployments.apps'] },
            },
          ],
          leaderElection: {
            namespace: 'default',
            leaseName: 'wk-api-backup-it',
            leaseDurationSeconds: 4,
            renewDeadlineSeconds: 3,
            retryPeriodSeconds: 1,
          },
        },
      },
      'test',
    );
    const registry = new Registry();
    const logger = pino({ level: 'silent' });
    const context = await backupContext(daemonConfig);
    const daemon = await startBackupDaemon(
      { config: daemonConfig, logger, registry, lifecycle: new Lifecycle({ logger, stopTimeoutMs: 10_000 }) },
      { context, kubeClient: admin, identity: 'api-it' },
    );
    try {
      const [entry] = await eventually(
        () => listBackups(context.storage, context.root, 'api'),
        (l) => l.length === 1,
        'one scheduled API backup',
      );
      expect(entry!.name).toBe('api-yearly');
      const manifest = await readManifest(context.storage, context.root, 'api', entry!.id);
      expect(manifest.api?.resources.map((r) => [r.resource, r.count])).toEqual([
        ['configmaps', 2],
        ['deployments', 1],
      ]);
      const metrics = await eventually(
        () => registry.metrics(),
        (m) => m.includes('watchkeeper_backup_runs_total{name="api-yearly",kind="api",result="success"} 1'),
        'success counted',
      );
      expect(metrics).toContain('watchkeeper_backup_api_objects{name="api-yearly",resource="configmaps"} 2');
    } finally {
      await daemon.stop();
    }
  }, 120_000);

  it('dry run reports what would happen and writes nothing (checked with a watch)', async () => {
    for (const ns of ['shop-a', 'shop-b']) await admin.deleteJson(`/api/v1/namespaces/${ns}`);
    await admin.deleteJson('/api/v1/persistentvolumes/pv-shop');
    await admin.deleteJson('/apis/rbac.authorization.k8s.io/v1/clusterroles/shop-reader');
    await admin.deleteJson('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
    await until(
      async () =>
        (await absent('/api/v1/namespaces/shop-a')) &&
        (await absent('/api/v1/namespaces/shop-b')) &&
        (await absent('/api/v1/persistentvolumes/pv-shop')) &&
        (await absent('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')),
      'namespaces, PV and CRD deleted',
      180_000,
    );

    const seen: string[] = [];
    const watches: WatchHandle[] = [
      '/api/v1/namespaces',
      '/api/v1/configmaps',
      '/apis/apps/v1/deployments',
      '/api/v1/persistentvolumes',
    ].map((path) =>
      startWatch(
        admin,
        path,
        {
          onEvent: (e) => {
            seen.push(`${e.type} ${path} ${e.object.metadata.name}`);
          },
        },
        { labelSelector: 'watchkeeper.io/backup-id' },
      ),
    );
    await Promise.all(watches.map((w) => w.ready));
    const dry = json<RestoreOutput>(await restoreCli([backupId, '--dry-run', '-o', 'json']));
    expect(dry.counts.failed).toBe(0);
    expect(dry.objects.find((o) => o.resource === 'namespaces' && o.name === 'shop-a')?.result).toBe('created');
    expect(dry.objects.find((o) => o.resource === 'configmaps' && o.name === 'cfg')?.reason).toContain(
      'namespace shop-a is created by this restore first',
    );
    // A sentinel written after the dry run: once the watch saw it, it would have seen anything the dry run wrote.
    await admin.postJson('/api/v1/namespaces/other/configmaps', {
      metadata: { name: 'sentinel', labels: { 'watchkeeper.io/backup-id': 'sentinel' } },
    });
    await until(() => seen.some((s) => s.endsWith(' sentinel')), 'watch sees the sentinel');
    await Promise.all(watches.map((w) => w.stop()));
    expect(seen).toEqual(['ADDED /api/v1/configmaps sentinel']);
    expect(await absent('/api/v1/namespaces/shop-a')).toBe(true);
  }, 300_000);

  it('restores every selected object, equal to the original, in dependency order; pods come back through their controllers', async () => {
    const restore = json<RestoreOutput>(await restoreCli(['latest', '-o', 'json']));
    expect(restore.counts.failed).toBe(0);
    const row = (resource: string, name: string): Row | undefined =>
      restore.objects.find((o) => o.resource === resource && o.name === name);
    expect(row('deployments.apps', 'web')?.result).toBe('created');
    expect(row('widgets.example.com', 'w1')?.result).toBe('created');
    expect(
      restore.objects
        .filter((o) => o.resource === 'pods')
        .every(
          (o) =>
            o.result === 'skipped' &&
            /its owner (ReplicaSet|StatefulSet)\/.* is restored and recreates it/.test(o.reason ?? ''),
        ),
    ).toBe(true);
    expect(
      restore.objects
        .filter((o) => o.resource === 'replicasets.apps')
        .every((o) => o.result === 'skipped' && o.reason?.includes('Deployment/web')),
    ).toBe(true);
    expect(
      restore.objects
        .filter((o) => o.resource === 'endpointslices.discovery.k8s.io' || o.resource === 'endpoints')
        .every((o) => o.result === 'skipped'),
    ).toBe(true);
    const order = restore.objects.map((o) => o.resource);
    expect(order.indexOf('customresourcedefinitions.apiextensions.k8s.io')).toBeLessThan(order.indexOf('namespaces'));
    expect(order.lastIndexOf('namespaces')).toBeLessThan(order.indexOf('configmaps'));
    expect(order.lastIndexOf('configmaps')).toBeLessThan(order.indexOf('deployments.apps'));
    expect(order.indexOf('deployments.apps')).toBeLessThan(order.indexOf('widgets.example.com'));

    await until(
      async () =>
        ((await get('/api/v1/namespaces/shop-a/persistentvolumeclaims/data')).status as { phase?: string } | undefined)
          ?.phase === 'Bound',
      'restored PVC bound to the restored PV',
    );
    for (const path of selectedPaths) {
      const now = await get(path);
      expect(now.metadata.labels?.['watchkeeper.io/backup-id'], path).toBe(backupId);
      expect(comparable(now), path).toEqual(originals.get(path));
    }
    await until(
      async () =>
        (
          await admin.getJson<{ items: KubeObject[] }>('/api/v1/namespaces/shop-a/pods', {
            query: { labelSelector: 'app=shop' },
          })
        ).items.filter((p) => (p.status as { phase?: string }).phase === 'Running').length === 2,
      'deployment pods running again',
    );
    for (const path of [
      '/api/v1/namespaces/shop-a/configmaps/unlabelled',
      '/api/v1/namespaces/shop-a/configmaps/excluded',
      '/apis/example.com/v1/namespaces/shop-a/widgets/w-unlabelled',
    ]) {
      expect(await absent(path), path).toBe(true);
    }
    const stored = await text(
      (await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: restore.reportKey })))
        .Body as NodeJS.ReadableStream,
    );
    expect(stored.trim().split('\n').length).toBe(restore.objects.length + 1);
  }, 300_000);

  it('a second restore creates nothing; --existing skip leaves a changed object alone, update puts it back', async () => {
    const again = json<RestoreOutput>(await restoreCli(['latest', '-o', 'json']));
    expect(again.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
    await admin.patchJson('/api/v1/namespaces/shop-a/configmaps/cfg', { data: { color: 'red' } });
    const only = [
      '--include-resources',
      'configmaps',
      '--names',
      'cfg',
      '--include-namespaces',
      'shop-a',
      '-o',
      'json',
    ];
    const skipped = json<RestoreOutput>(await restoreCli(['latest', ...only]));
    expect(skipped.objects.find((o) => o.name === 'cfg')).toMatchObject({
      result: 'skipped',
      reason: 'already exists (--existing skip)',
    });
    expect((await get('/api/v1/namespaces/shop-a/configmaps/cfg')).data).toEqual({ color: 'red' });
    const updated = json<RestoreOutput>(await restoreCli(['latest', ...only, '--existing', 'update']));
    expect(updated.objects.find((o) => o.name === 'cfg')?.result).toBe('updated');
    expect((await get('/api/v1/namespaces/shop-a/configmaps/cfg')).data).toEqual({ color: 'blue' });
    const failing = await restoreCli(['latest', ...only.slice(0, -2), '--existing', 'fail']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/failed\s+configmaps\s+shop-a\s+cfg\s+already exists \(--existing fail\)/);
  }, 180_000);

  it('maps a namespace: objects and binding subjects move to the new namespace', async () => {
    const mapped = json<RestoreOutput>(
      await restoreCli([
        'latest',
        '--include-namespaces',
        'shop-a',
        '--namespace-map',
        'shop-a:shop-copy',
        '--exclude-resources',
        'persistentvolumeclaims,persistentvolumes',
        '-o',
        'json',
      ]),
    );
    expect(mapped.counts.failed).toBe(0);
    expect(mapped.objects.find((o) => o.resource === 'namespaces' && o.name === 'shop-copy')?.result).toBe('created');
    const binding = await get('/apis/rbac.authorization.k8s.io/v1/namespaces/shop-copy/rolebindings/shop');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'shop', namespace: 'shop-copy' }]);
    expect((await get('/api/v1/namespaces/shop-copy/configmaps/cfg')).data).toEqual({ color: 'blue' });
    expect(await absent('/api/v1/namespaces/shop-copy/configmaps/db-cfg')).toBe(true);
    await until(
      async () => (await admin.getJson<{ items: unknown[] }>('/api/v1/namespaces/shop-copy/pods')).items.length === 2,
      'pods of the copied deployment',
    );
  }, 180_000);

  it('refuses bad selectors, unknown ids, users who cannot write, tampered archives and plaintext backups, writing nothing', async () => {
    const bad = await restoreCli(['latest', '-l', 'app in shop']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('label selector "app in shop"');
    const unknown = await restoreCli(['20200101T000000Z-manual-0000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('does not exist');

    await admin.deleteJson('/api/v1/namespaces/shop-b/configmaps/db-cfg');
    const restricted = await cli(config, ['restore', 'api', 'latest', '--kubeconfig', cluster.restrictedKubeconfig]);
    expect(restricted.code).toBe(1);
    expect(restricted.stderr).toContain('may not restore this backup; nothing was written');
    expect(restricted.stderr).toContain('create configmaps in namespace shop-b');
    // The backup identity reads everything and writes nothing: it cannot restore either.
    const asBackup = await cli(config, ['restore', 'api', 'latest']);
    expect(asBackup.code).toBe(1);
    expect(asBackup.stderr).toContain('create configmaps in namespace shop-b');

    const small = json<{ id: string; objects: { role: string; file: string }[] }>(
      await cli(config, [
        'backup',
        'api',
        '-l',
        'app=shop',
        '--include-resources',
        'configmaps',
        '--include-namespaces',
        'shop-b',
        '-o',
        'json',
      ]),
    );
    const archiveKey = `it/api-it/api/${small.id}/${small.objects.find((o) => o.role === 'api-objects')!.file}`;
    const original = Buffer.from(
      await (
        await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: archiveKey }))
      ).Body!.transformToByteArray(),
    );
    // The first backup's archive (encrypted for its own id) stored in this one's place: refused.
    const firstManifest = json<{ objects: { role: string; file: string }[] }>(
      await cli(config, ['backups', 'describe', backupId, '--kind', 'api', '-o', 'json']),
    );
    const firstArchive = `it/api-it/api/${backupId}/${firstManifest.objects.find((o) => o.role === 'api-objects')!.file}`;
    await s3
      .client()
      .send(new CopyObjectCommand({ Bucket: s3.bucket, CopySource: `${s3.bucket}/${firstArchive}`, Key: archiveKey }));
    const swapped = await restoreCli([small.id]);
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/is corrupted or truncated|belongs to another backup or file/);
    expect(await absent('/api/v1/namespaces/shop-b/configmaps/db-cfg')).toBe(true);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 40]! ^= 0x01;
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: archiveKey, Body: tampered }));
    const refused = await restoreCli([small.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/encrypted data (was modified|is corrupted|is truncated)/);
    expect(await absent('/api/v1/namespaces/shop-b/configmaps/db-cfg')).toBe(true);

    const plain = await cli(config, [
      'backup',
      'api',
      '-l',
      'app=shop',
      '--include-namespaces',
      'shop-a',
      '--name',
      'plain',
      '-o',
      'json',
      '--set',
      'backup.encryption.enabled=false',
    ]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain('NOT encrypted');
    const plainId = (JSON.parse(plain.stdout) as { id: string }).id;
    const refusedPlain = await restoreCli([plainId]);
    expect(refusedPlain.code).toBe(1);
    expect(refusedPlain.stderr).toMatch(/is not authenticated .* refused while a backup key is configured/);
    expect(await absent('/api/v1/namespaces/shop-b/configmaps/db-cfg')).toBe(true);

    const diff = json<{ differences: { change: string; resource: string; namespace: string; name: string }[] }>(
      await cli(config, ['backups', 'diff', backupId, '-o', 'json']),
    );
    expect(diff.differences).toContainEqual({
      change: 'removed',
      resource: 'configmaps',
      namespace: 'shop-b',
      name: 'db-cfg',
    });
    expect(diff.differences.some((d) => d.namespace === 'shop-copy')).toBe(true);
  }, 240_000);

  it('restores into a second, fresh cluster: CRD and custom objects in one restore, workloads running again', async () => {
    const fresh = await startCluster({ nodes: 1 });
    try {
      const other = new KubeClient(await resolveKubeAccess({ kubeconfig: fresh.adminKubeconfig }));
      try {
        const restore = json<RestoreOutput>(
          await cli(config, ['restore', 'api', backupId, '--kubeconfig', fresh.adminKubeconfig, '-o', 'json']),
        );
        expect(restore.counts.failed).toBe(0);
        expect((await other.getJson<KubeObject>('/apis/example.com/v1/namespaces/shop-a/widgets/w1')).spec).toEqual({
          size: 3,
        });
        expect((await other.getJson<KubeObject>('/api/v1/namespaces/shop-a/secrets/creds')).data).toEqual({
          password: Buffer.from('hunter2').toString('base64'),
        });
        await until(
          async () =>
            (
              await other.getJson<{ items: KubeObject[] }>('/api/v1/namespaces/shop-b/pods', {
                query: { labelSelector: 'app=shop' },
              })
            ).items.some((p) => (p.status as { phase?: string }).phase === 'Running'),
          'statefulset pod running in the fresh cluster',
        );
      } finally {
        other.close();
      }
    } finally {
      await fresh.stop();
    }
  }, 240_000);
});
