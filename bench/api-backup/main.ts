// Benchmark: `watchkeeper backup api` against a plain paged LIST of the same resources, and
// `watchkeeper restore api` against plain creates of the same objects at the same concurrency,
// in one run on one real API server (kwok node) with MinIO, at each size in BENCH_API_SIZES
// (default 10000; e.g. BENCH_API_SIZES=10000,100000). Objects: ConfigMaps, Secrets, Services,
// Deployments (0 replicas) and custom objects across 100 namespaces. Each side is its own
// process; peak RSS is its VmHWM. Prints the ratios and rewrites the "API backup" section of
// docs/benchmarks.md.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startCluster, startS3, type Cluster } from '../../test/env/index.ts';
import { measure, type Measured } from '../measure.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const node = process.execPath;
const cli = path.join(repo, 'cli/main.ts');
const sizes = (process.env.BENCH_API_SIZES ?? '10000').split(',').map(Number);
const namespaces = 100;
const listConcurrency = 4;
const writeConcurrency = 8;
const labels = { bench: 'yes' };
const collections = [
  '/api/v1/configmaps',
  '/api/v1/secrets',
  '/api/v1/services',
  '/apis/apps/v1/deployments',
  '/apis/bench.example.com/v1/widgets',
];

/** Writes `count` objects (namespaces first) as [collection path, object] lines. */
async function writeObjects(file: string, count: number, prefix: string): Promise<void> {
  const out = createWriteStream(file);
  const write = async (line: unknown): Promise<void> => {
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  };
  for (let n = 0; n < namespaces; n++)
    await write([
      '/api/v1/namespaces',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${prefix}-${n}`, labels } },
    ]);
  const filler = randomBytes(384).toString('base64');
  for (let i = 0; i < count; i++) {
    const ns = `${prefix}-${i % namespaces}`;
    const name = `obj-${i}`;
    const metadata = { name, labels: { ...labels, app: `app-${i % 50}` } };
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
        await write([
          `/api/v1/namespaces/${ns}/configmaps`,
          { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { 'settings.json': JSON.stringify({ i, filler }) } },
        ]);
        break;
      case 4:
      case 5:
        await write([
          `/api/v1/namespaces/${ns}/secrets`,
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata,
            type: 'Opaque',
            data: { token: Buffer.from(filler.slice(0, 256)).toString('base64') },
          },
        ]);
        break;
      case 6:
        await write([
          `/api/v1/namespaces/${ns}/services`,
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata,
            spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
          },
        ]);
        break;
      case 7:
        await write([
          `/apis/apps/v1/namespaces/${ns}/deployments`,
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata,
            spec: {
              replicas: 0,
              selector: { matchLabels: { app: name } },
              template: {
                metadata: { labels: { app: name } },
                spec: {
                  containers: [{ name: 'c', image: 'registry.example/app:1', env: [{ name: 'I', value: String(i) }] }],
                },
              },
            },
          },
        ]);
        break;
      default:
        await write([
          `/apis/bench.example.com/v1/namespaces/${ns}/widgets`,
          {
            apiVersion: 'bench.example.com/v1',
            kind: 'Widget',
            metadata,
            spec: { size: i, note: filler.slice(0, 200) },
          },
        ]);
    }
  }
  out.end();
  await once(out, 'close');
}

async function deleteNamespaces(cluster: Cluster, prefix: string): Promise<void> {
  for (let n = 0; n < namespaces; n++) await cluster.request('DELETE', `/api/v1/namespaces/${prefix}-${n}`);
  for (;;) {
    const { body } = await cluster.request('GET', '/api/v1/namespaces?labelSelector=bench%3Dyes');
    if ((JSON.parse(body) as { items: unknown[] }).items.length === 0) return;
    await delay(1000);
  }
}

interface SizeResult {
  size: number;
  list: Measured;
  backup: Measured;
  create: Measured;
  restore: Measured;
  bytes: number;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'wk-bench-api-'));
  const [cluster, s3] = await Promise.all([startCluster({ nodes: 1 }), startS3()]);
  try {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.bench.example.com' },
      spec: {
        group: 'bench.example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    await cluster.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    await delay(3000);
    const config = path.join(work, 'watchkeeper.json');
    await writeFile(
      config,
      JSON.stringify({
        cluster: { name: 'bench' },
        log: { level: 'warn' },
        kubernetes: { kubeconfig: cluster.adminKubeconfig },
        backup: {
          storage: {
            type: 's3',
            prefix: 'bench',
            s3: {
              bucket: s3.bucket,
              endpoint: s3.endpoint,
              region: s3.region,
              forcePathStyle: true,
              accessKeyId: s3.accessKeyId,
              secretAccessKey: s3.secretAccessKey,
            },
          },
          encryption: { enabled: true, keyEnv: 'BENCH_KEY' },
        },
      }),
    );
    const env = { ...process.env, BENCH_KEY: randomBytes(32).toString('hex') };
    const results: SizeResult[] = [];
    for (const size of sizes) {
      const prefix = `bench${size}`;
      const file = path.join(work, `${prefix}.jsonl`);
      await writeObjects(file, size, prefix);
      process.stdout.write(`${size} objects: plain creates ...\n`);
      const create = await measure(node, [
        path.join(repo, 'bench/api-backup/plain-create.ts'),
        cluster.adminKubeconfig,
        file,
        String(writeConcurrency),
      ]);
      process.stdout.write(`${size} objects: plain LIST, then watchkeeper backup api ...\n`);
      const list = await measure(node, [
        path.join(repo, 'bench/api-backup/plain-list.ts'),
        cluster.adminKubeconfig,
        String(listConcurrency),
        ...collections,
      ]);
      const backup = await measure(
        node,
        [
          cli,
          'backup',
          'api',
          '-c',
          config,
          '--name',
          prefix,
          '-l',
          'bench=yes',
          '--cluster-resources',
          'none',
          '--include-resources',
          'configmaps,secrets,services,deployments.apps,widgets.bench.example.com',
          '--concurrency',
          String(listConcurrency),
          '-o',
          'json',
        ],
        env,
      );
      const manifest = JSON.parse(backup.stdout) as {
        id: string;
        objects: { size: number }[];
        api: { objectCount: number };
      };
      if (manifest.api.objectCount !== size || Number(list.stdout.trim()) !== size) {
        throw new Error(
          `expected ${size} objects, the LIST read ${list.stdout.trim()}, the backup stored ${manifest.api.objectCount}`,
        );
      }
      process.stdout.write(`${size} objects: deleting the namespaces, then watchkeeper restore api ...\n`);
      await deleteNamespaces(cluster, prefix);
      const restore = await measure(
        node,
        [cli, 'restore', 'api', manifest.id, '-c', config, '--concurrency', String(writeConcurrency), '-o', 'json'],
        env,
      );
      const summary = JSON.parse(restore.stdout) as { counts: { created: number; failed: number } };
      if (summary.counts.created !== size + namespaces || summary.counts.failed !== 0)
        throw new Error(`restore: ${JSON.stringify(summary.counts)}`);
      restore.stdout = '';
      results.push({ size, list, backup, create, restore, bytes: manifest.objects.reduce((n, o) => n + o.size, 0) });
      await deleteNamespaces(cluster, prefix);
    }
    const rate = (n: number, m: Measured): string => (n / m.seconds).toFixed(0);
    const lines = [
      `Run by \`npm run bench -- api-backup\` (bench/api-backup/main.ts) on ${machineLine()}.`,
      `One kube-apiserver v1.35.4 (etcd, kwok node) and MinIO on the same host. Objects across ${namespaces} namespaces: 40% ConfigMaps (~0.6 KiB), 20% Secrets, 10% Services, 10% Deployments (0 replicas), 20% custom objects.`,
      `Backup: \`watchkeeper backup api\` (discovery, ${listConcurrency} resources listed at once, pages of 500, tar + index, zstd, AES-256-GCM, multipart upload) against a plain paged LIST of the same five resources (limit 500, ${listConcurrency} at once, pages decoded). Restore: \`watchkeeper restore api\` (download, verify every hash, plan, permission check, level by level, ${writeConcurrency} writes at once) into deleted namespaces against plain POSTs of the same objects at the same concurrency. Each side is its own process; peak RSS is its VmHWM.`,
      '',
      `Wall seconds (s) and the process's own CPU seconds (cpu, user + system). Load average during the run: ${loadavg()
        .map((l) => l.toFixed(0))
        .join(', ')} on ${cpus().length} cores (shared host), so wall times carry noise; the CPU seconds do less.`,
      '',
      '| objects | plain LIST s (cpu) | backup s (cpu) | backup / LIST wall (cpu) | backup objects/s | LIST peak MiB | backup peak MiB | stored |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...results.map(
        (r) =>
          `| ${r.size} | ${r.list.seconds.toFixed(1)} (${r.list.cpuSeconds.toFixed(1)}) | ${r.backup.seconds.toFixed(1)} (${r.backup.cpuSeconds.toFixed(1)}) | ${(r.backup.seconds / r.list.seconds).toFixed(2)} (${(r.backup.cpuSeconds / r.list.cpuSeconds).toFixed(2)}) | ${rate(r.size, r.backup)} | ${r.list.peakRssMiB.toFixed(0)} | ${r.backup.peakRssMiB.toFixed(0)} | ${(r.bytes / 1024 / 1024).toFixed(1)} MiB |`,
      ),
      '',
      '| objects | plain creates s (cpu) | restore s (cpu) | restore / creates wall (cpu) | restore objects/s | creates peak MiB | restore peak MiB |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...results.map(
        (r) =>
          `| ${r.size} | ${r.create.seconds.toFixed(1)} (${r.create.cpuSeconds.toFixed(1)}) | ${r.restore.seconds.toFixed(1)} (${r.restore.cpuSeconds.toFixed(1)}) | ${(r.restore.seconds / r.create.seconds).toFixed(2)} (${(r.restore.cpuSeconds / r.create.cpuSeconds).toFixed(2)}) | ${rate(r.size, r.restore)} | ${r.create.peakRssMiB.toFixed(0)} | ${r.restore.peakRssMiB.toFixed(0)} |`,
      ),
      '',
      'Goals: backup within 1.3x of the plain LIST, restore within 1.3x of plain creates, peak RSS flat as the object count grows (Velero: ~3 objects/s backing up past 5,000 objects, ~10/s restoring, OOM above ~60,000 objects with 2 GB).',
      '',
    ];
    const section = lines.join('\n');
    process.stdout.write(`${section}\n`);
    await writeBenchmarkSection('## API backup: label-selected objects to S3 and back', section);
  } finally {
    await Promise.allSettled([cluster.stop(), s3.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
