import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCluster, startS3, type Cluster, type S3Server } from '../env/index.ts';

const main = join(import.meta.dirname, '../../cli/main.ts');

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts `watchkeeper backup` (the daemon) as a real child process with its own status port. */
async function startDaemon(config: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      main,
      'backup',
      '-c',
      config,
      '--set',
      `server.port=${port}`,
      '--set',
      'server.host=127.0.0.1',
      '--set',
      'log.format=json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exit };
}

async function until(
  check: () => Promise<boolean>,
  what: string,
  output: () => string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached after ${timeoutMs} ms; daemon output:\n${output().slice(-4000)}`);
    await delay(250);
  }
}

/** The value of one sample of a metric in Prometheus text format, or undefined. */
function sample(metrics: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('watchkeeper backup daemon as a child process (real etcd, MinIO, API server for the Lease)', () => {
  let cluster: Cluster;
  let s3: S3Server;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    [cluster, s3] = await Promise.all([startCluster({ nodes: 1 }), startS3()]);
    dir = await mkdtemp(join(tmpdir(), 'wk-backup-daemon-'));
    config = join(dir, 'watchkeeper.json');
    const etcd = cluster.etcd;
    await writeFile(
      config,
      JSON.stringify({
        cluster: { name: 'daemon-it' },
        kubernetes: { kubeconfig: cluster.adminTokenKubeconfig },
        backup: {
          storage: {
            type: 's3',
            prefix: 'daemon',
            s3: {
              bucket: s3.bucket,
              endpoint: s3.endpoint,
              region: s3.region,
              forcePathStyle: true,
              accessKeyId: s3.accessKeyId,
              secretAccessKey: s3.secretAccessKey,
              serverSideEncryption: 'none',
            },
          },
          etcd: {
            endpoints: etcd.endpoints,
            ...(etcd.tls ? { caFile: etcd.tls.caFile, certFile: etcd.tls.certFile, keyFile: etcd.tls.keyFile } : {}),
          },
          // node-cron's optional seconds field: a run every 3 seconds.
          schedules: [{ name: 'every-3s', cron: '*/3 * * * * *', catchUp: false, retention: { keepLast: 2 } }],
          leaderElection: {
            namespace: 'default',
            leaseName: 'wk-backup-daemon-it',
            leaseDurationSeconds: 4,
            renewDeadlineSeconds: 3,
            retryPeriodSeconds: 1,
          },
        },
      }),
    );
  });

  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), s3?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the schedule, exports the metrics, prunes by retention, lists the backups, and stops on SIGTERM with exit 0', async () => {
    const daemon = await startDaemon(config);
    const labels = { name: 'every-3s', kind: 'etcd' };
    let metrics = '';
    try {
      await until(async () => (await fetch(`${daemon.url}/healthz`)).status === 200, '/healthz', daemon.output);
      // Three successes with keepLast 2: retention must have deleted at least one backup.
      await until(
        async () => {
          metrics = await (await fetch(`${daemon.url}/metrics`)).text();
          return (
            (sample(metrics, 'watchkeeper_backup_runs_total', { ...labels, result: 'success' }) ?? 0) >= 3 &&
            (sample(metrics, 'watchkeeper_backup_retention_deleted_total', labels) ?? 0) >= 1
          );
        },
        'three successful runs and one retention deletion in /metrics',
        daemon.output,
      );
      const lastSuccess = sample(metrics, 'watchkeeper_backup_last_success_timestamp_seconds', labels);
      expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 120);
      expect(sample(metrics, 'watchkeeper_backup_bytes', labels)).toBeGreaterThan(0);
      expect(sample(metrics, 'watchkeeper_backup_runs_total', { ...labels, result: 'failure' }) ?? 0).toBe(0);
      expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);

      daemon.child.kill('SIGTERM');
      expect(await daemon.exit).toBe(0);
      const messages = daemon
        .output()
        .trim()
        .split('\n')
        .flatMap((line) => {
          try {
            return [(JSON.parse(line) as { msg: string }).msg];
          } catch {
            return [];
          }
        });
      expect(messages).toEqual(expect.arrayContaining(['Became the backup leader.', 'Stopping.', 'Stopped.']));
      expect(daemon.output()).not.toContain(s3.secretAccessKey);
    } finally {
      daemon.child.kill('SIGKILL');
    }

    // After the daemon stopped, the last run's retention is done: exactly keepLast backups remain.
    const listed = spawnSync(process.execPath, [main, 'backups', 'list', '-c', config, '-o', 'json'], {
      encoding: 'utf8',
    });
    expect(listed.status, listed.stderr).toBe(0);
    const backups = JSON.parse(listed.stdout) as { id: string; name: string; kind: string; completedAt: string }[];
    expect(backups).toHaveLength(2);
    for (const b of backups) {
      expect(b.name).toBe('every-3s');
      expect(b.kind).toBe('etcd');
      expect(b.id).toMatch(/^\d{8}T\d{6}Z-every-3s-[0-9a-f]{4}$/);
    }
  });
});
