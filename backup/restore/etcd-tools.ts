import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { childEnv } from '../../core/child-env.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import { sleep } from '../../core/retry.ts';

/** Finds an executable in `binDir`, else on $PATH; undefined when absent. */
export async function findTool(name: string, binDir?: string): Promise<string | undefined> {
  const dirs = binDir !== undefined ? [binDir] : (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** Result of running a command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion and captures its output. The child gets only a minimal environment
 * (core/child-env.ts), never watchkeeper's credentials; `signal` kills it.
 */
export function runCommand(file: string, args: readonly string[], signal?: AbortSignal): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(),
      ...(signal ? { signal, killSignal: 'SIGKILL' as const } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Options of etcd's `snapshot restore`. */
export interface SnapshotRestoreOptions {
  snapshotFile: string;
  dataDir: string;
  name: string;
  initialCluster: string;
  initialAdvertisePeerUrls: string;
  initialClusterToken: string;
  /** When set, the revision is raised by this much and marked compacted (see etcd's disaster recovery guide). */
  bumpRevision?: number | undefined;
  binDir?: string | undefined;
  /** Kills etcdutl (the caller then removes the half-written data dir). */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `etcdutl snapshot restore` (or, when only etcdctl is found, `etcdctl snapshot restore`,
 * etcd 3.5 and older). etcd checks the snapshot's sha256 trailer itself. Returns the tool used.
 */
export async function restoreSnapshot(options: SnapshotRestoreOptions): Promise<string> {
  const etcdutl = await findTool('etcdutl', options.binDir);
  const tool = etcdutl ?? (await findTool('etcdctl', options.binDir));
  if (!tool) {
    throw new WatchkeeperError(
      'usage',
      `neither etcdutl nor etcdctl was found ${options.binDir ? `in ${options.binDir}` : 'on $PATH'}; install etcd's tools or set backup.tools.binDir`,
    );
  }
  const args = [
    'snapshot',
    'restore',
    options.snapshotFile,
    '--data-dir',
    options.dataDir,
    '--name',
    options.name,
    '--initial-cluster',
    options.initialCluster,
    '--initial-advertise-peer-urls',
    options.initialAdvertisePeerUrls,
    '--initial-cluster-token',
    options.initialClusterToken,
  ];
  if (options.bumpRevision !== undefined && options.bumpRevision > 0)
    args.push('--bump-revision', String(options.bumpRevision), '--mark-compacted');
  const result = await runCommand(tool, args, options.signal);
  if (result.code !== 0) {
    throw new WatchkeeperError(
      'failed',
      `${path.basename(tool)} snapshot restore failed (exit ${result.code}): ${lastLines(result.stderr || result.stdout)}`,
    );
  }
  return tool;
}

/**
 * Starts etcd on a restored data dir (loopback, free ports), counts its keys and stops it.
 * Proves that the restored data opens and serves.
 */
export async function countKeysInDataDir(
  dataDir: string,
  name: string,
  binDir?: string,
): Promise<{ keys: number; revision: string }> {
  const etcd = await findTool('etcd', binDir);
  if (!etcd) throw new WatchkeeperError('usage', `etcd was not found ${binDir ? `in ${binDir}` : 'on $PATH'}`);
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const child = spawn(
    etcd,
    [
      '--name',
      name,
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--listen-metrics-urls',
      '',
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv() },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const client = new Etcd3({ hosts: clientUrl, dialTimeout: 2000 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const status = await client.maintenance.status();
        const keys = await client.getAll().count();
        return { keys, revision: status.header.revision };
      } catch (error) {
        if (child.exitCode !== null || attempt >= 60) {
          throw new WatchkeeperError(
            'failed',
            `etcd did not serve the restored data dir ${dataDir}: ${lastLines(stderr) || String(error)}`,
          );
        }
        await sleep(500);
      }
    }
  } finally {
    client.close();
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}
