import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toolDir } from './binaries.ts';
import { httpGet } from './http.ts';
import { Pki, type CertFiles } from './pki.ts';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { makeWorkDir, removeWorkDir } from './workdir.ts';

const run = promisify(execFile);

/** Options of {@link startEtcd}. */
export interface EtcdOptions {
  /** Serve clients over TLS and require client certificates, as kubeadm's etcd does. */
  tls?: boolean;
  /** Enable etcd user authentication with this root user. */
  auth?: { user: string; password: string };
  /** Extra etcd flags, e.g. ['--quota-backend-bytes=4294967296']. */
  extraArgs?: string[];
  /** Reuse this data directory (e.g. one restored from a snapshot). */
  dataDir?: string;
  /** Member name; default 'default'. */
  name?: string;
}

/** TLS material for clients of a TLS etcd. */
export interface EtcdTls extends CertFiles {
  caFile: string;
}

/** A running single-member etcd. */
export interface EtcdServer {
  /** Client URLs, e.g. ['https://127.0.0.1:40123']. */
  endpoints: string[];
  /** Plain-HTTP metrics and /health URL. */
  metricsUrl: string;
  dataDir: string;
  /** Client certificate, key and CA, when started with tls. */
  tls?: EtcdTls;
  auth?: { user: string; password: string };
  /** Directory with etcd, etcdctl and etcdutl. */
  binDir: string;
  process: ManagedProcess;
  /** Runs etcdctl against this server with its TLS and auth flags; returns stdout. */
  etcdctl(args: string[], options?: { env?: NodeJS.ProcessEnv }): Promise<string>;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** Starts a single-member etcd on free loopback ports in its own temp dir. */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdServer> {
  const binDir = toolDir('etcd');
  const dir = await makeWorkDir('etcd');
  const dataDir = options.dataDir ?? join(dir, 'data');
  const [clientPort, peerPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const scheme = options.tls ? 'https' : 'http';
  const clientUrl = `${scheme}://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const name = options.name ?? 'default';
  let tls: EtcdTls | undefined;
  const args = [
    `--name=${name}`, `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`, `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${name}=${peerUrl}`, `--listen-metrics-urls=${metricsUrl}`,
    '--log-level=warn', ...(options.extraArgs ?? []),
  ];
  if (options.tls) {
    const pki = await Pki.create(dir, 'etcd-ca');
    const server = await pki.issue({ name: 'server', commonName: 'etcd', altNames: ['IP:127.0.0.1', 'DNS:localhost'], usage: 'both' });
    const client = await pki.issue({ name: 'client', commonName: 'watchkeeper', usage: 'client' });
    tls = { caFile: pki.caFile, ...client };
    args.push(`--cert-file=${server.certFile}`, `--key-file=${server.keyFile}`, `--trusted-ca-file=${pki.caFile}`, '--client-cert-auth');
  }
  const process = new ManagedProcess({
    name: 'etcd', command: join(binDir, 'etcd'), args, logFile: join(dir, 'etcd.log'),
    ready: async () => (await httpGet(`${metricsUrl}/health`)).body.includes('"health":"true"'),
  });
  await process.start();
  const etcdctl = async (ctlArgs: string[], ctl?: { env?: NodeJS.ProcessEnv }): Promise<string> => {
    const flags = [`--endpoints=${clientUrl}`];
    if (tls) flags.push(`--cacert=${tls.caFile}`, `--cert=${tls.certFile}`, `--key=${tls.keyFile}`);
    if (options.auth && authEnabled) flags.push(`--user=${options.auth.user}:${options.auth.password}`);
    const { stdout } = await run(join(binDir, 'etcdctl'), [...flags, ...ctlArgs], { env: { ...globalThis.process.env, ...ctl?.env }, maxBuffer: 64 << 20 });
    return stdout;
  };
  let authEnabled = false;
  if (options.auth) {
    await etcdctl(['user', 'add', `${options.auth.user}:${options.auth.password}`]);
    await etcdctl(['user', 'grant-role', options.auth.user, 'root']);
    await etcdctl(['auth', 'enable']);
    authEnabled = true;
  }
  return {
    endpoints: [clientUrl], metricsUrl, dataDir, tls, auth: options.auth, binDir, process, etcdctl,
    restart: () => process.restart(),
    stop: async () => { await process.stop(); if (!options.dataDir) await removeWorkDir(dir); },
  };
}
