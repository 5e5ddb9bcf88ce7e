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
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${name}=${peerUrl}`,
    `--listen-metrics-urls=${metricsUrl}`,
    '--log-level=warn',
    ...(options.extraArgs ?? []),
  ];
  if (options.tls) {
    const pki = await Pki.create(dir, 'etcd-ca');
    const server = await pki.issue({
      name: 'server',
      commonName: 'etcd',
      altNames: ['IP:127.0.0.1', 'DNS:localhost'],
      usage: 'both',
    });
    const client = await pki.issue({ name: 'client', commonName: 'watchkeeper', usage: 'client' });
    tls = { caFile: pki.caFile, ...client };
    args.push(
      `--cert-file=${server.certFile}`,
      `--key-file=${server.keyFile}`,
      `--trusted-ca-file=${pki.caFile}`,
      '--client-cert-auth',
    );
  }
  const process = new ManagedProcess({
    name: 'etcd',
    command: join(binDir, 'etcd'),
    args,
    logFile: join(dir, 'etcd.log'),
    ready: async () => (await httpGet(`${metricsUrl}/health`)).body.includes('"health":"true"'),
  });
  await process.start();
  const etcdctl = async (ctlArgs: string[], ctl?: { env?: NodeJS.ProcessEnv }): Promise<string> => {
    const flags = [`--endpoints=${clientUrl}`];
    if (tls) flags.push(`--cacert=${tls.caFile}`, `--cert=${tls.certFile}`, `--key=${tls.keyFile}`);
    if (options.auth && authEnabled) flags.push(`--user=${options.auth.user}:${options.auth.password}`);
    const { stdout } = await run(join(binDir, 'etcdctl'), [...flags, ...ctlArgs], {
      env: { ...globalThis.process.env, ...ctl?.env },
      maxBuffer: 64 << 20,
    });
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
    endpoints: [clientUrl],
    metricsUrl,
    dataDir,
    tls,
    auth: options.auth,
    binDir,
    process,
    etcdctl,
    restart: () => process.restart(),
    stop: async () => {
      await process.stop();
      if (!options.dataDir) await removeWorkDir(dir);
    },
  };
}

/** Options of {@link startEtcdCluster}. */
export interface EtcdClusterOptions {
  /** Number of members; default 3. */
  members?: number;
  /** Serve clients over TLS with client certificates (one CA and server certificate for all members). */
  tls?: boolean;
}

/** One member of an {@link EtcdCluster}. */
export interface EtcdMember {
  name: string;
  /** Client URL of this member. */
  endpoint: string;
  metricsUrl: string;
  dataDir: string;
  process: ManagedProcess;
}

/** A running multi-member etcd cluster on loopback ports. */
export interface EtcdCluster {
  /** Client URLs of every member, in member order. */
  endpoints: string[];
  members: EtcdMember[];
  tls?: EtcdTls;
  binDir: string;
  /** Runs etcdctl against the given endpoints (default: all) with the TLS flags; returns stdout. */
  etcdctl(args: string[], endpoints?: string[]): Promise<string>;
  /** Client URL of the current leader, as the members report it. */
  leaderEndpoint(): Promise<string>;
  /** Stops one member (the others keep quorum with 3 members). */
  stopMember(name: string): Promise<void>;
  /** Starts a stopped member again on its data dir. */
  startMember(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts an etcd cluster of `members` members (m1, m2, ...) that elect a leader among
 * themselves, each with its own data dir and client, peer and metrics ports. All members start at
 * once, since none is healthy before a quorum exists.
 */
export async function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const count = options.members ?? 3;
  const binDir = toolDir('etcd');
  const dir = await makeWorkDir('etcd-cluster');
  const scheme = options.tls ? 'https' : 'http';
  const specs: { name: string; clientUrl: string; peerUrl: string; metricsUrl: string; dataDir: string }[] = [];
  for (let i = 1; i <= count; i++) {
    const [clientPort, peerPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    specs.push({
      name: `m${i}`,
      clientUrl: `${scheme}://127.0.0.1:${clientPort}`,
      peerUrl: `http://127.0.0.1:${peerPort}`,
      metricsUrl: `http://127.0.0.1:${metricsPort}`,
      dataDir: join(dir, `m${i}`),
    });
  }
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  let tls: EtcdTls | undefined;
  let tlsArgs: string[] = [];
  if (options.tls) {
    const pki = await Pki.create(dir, 'etcd-ca');
    const server = await pki.issue({
      name: 'server',
      commonName: 'etcd',
      altNames: ['IP:127.0.0.1', 'DNS:localhost'],
      usage: 'both',
    });
    const client = await pki.issue({ name: 'client', commonName: 'watchkeeper', usage: 'client' });
    tls = { caFile: pki.caFile, ...client };
    tlsArgs = [
      `--cert-file=${server.certFile}`,
      `--key-file=${server.keyFile}`,
      `--trusted-ca-file=${pki.caFile}`,
      '--client-cert-auth',
    ];
  }
  const members: EtcdMember[] = specs.map((s) => ({
    name: s.name,
    endpoint: s.clientUrl,
    metricsUrl: s.metricsUrl,
    dataDir: s.dataDir,
    process: new ManagedProcess({
      name: `etcd ${s.name}`,
      command: join(binDir, 'etcd'),
      logFile: join(dir, `${s.name}.log`),
      args: [
        `--name=${s.name}`,
        `--data-dir=${s.dataDir}`,
        `--listen-client-urls=${s.clientUrl}`,
        `--advertise-client-urls=${s.clientUrl}`,
        `--listen-peer-urls=${s.peerUrl}`,
        `--initial-advertise-peer-urls=${s.peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=watchkeeper-test',
        `--listen-metrics-urls=${s.metricsUrl}`,
        '--log-level=warn',
        ...tlsArgs,
      ],
      ready: async () => (await httpGet(`${s.metricsUrl}/health`)).body.includes('"health":"true"'),
    }),
  }));
  const stop = async (): Promise<void> => {
    await Promise.allSettled(members.map((m) => m.process.stop()));
    await removeWorkDir(dir);
  };
  try {
    await Promise.all(members.map((m) => m.process.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  const etcdctl = async (ctlArgs: string[], endpoints = members.map((m) => m.endpoint)): Promise<string> => {
    const flags = [`--endpoints=${endpoints.join(',')}`];
    if (tls) flags.push(`--cacert=${tls.caFile}`, `--cert=${tls.certFile}`, `--key=${tls.keyFile}`);
    const { stdout } = await run(join(binDir, 'etcdctl'), [...flags, ...ctlArgs], { maxBuffer: 64 << 20 });
    return stdout;
  };
  const member = (name: string): EtcdMember => {
    const found = members.find((m) => m.name === name);
    if (!found) throw new Error(`no etcd member ${name} (members: ${members.map((m) => m.name).join(', ')})`);
    return found;
  };
  return {
    endpoints: members.map((m) => m.endpoint),
    members,
    tls,
    binDir,
    etcdctl,
    stop,
    leaderEndpoint: async () => {
      const running = members.filter((m) => m.process.running).map((m) => m.endpoint);
      // Member ids are 64-bit: quote them before JSON.parse rounds them.
      const text = (await etcdctl(['endpoint', 'status', '-w', 'json'], running)).replace(
        /"(member_id|leader|cluster_id)":(\d+)/g,
        '"$1":"$2"',
      );
      const statuses = JSON.parse(text) as {
        Endpoint: string;
        Status: { header: { member_id: string }; leader: string };
      }[];
      const leader = statuses.find((s) => s.Status.header.member_id === s.Status.leader);
      if (!leader) throw new Error(`no member reports itself as the leader: ${JSON.stringify(statuses)}`);
      return leader.Endpoint;
    },
    stopMember: (name) => member(name).process.stop(),
    startMember: (name) => member(name).process.start(),
  };
}
