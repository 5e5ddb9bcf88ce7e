import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { childEnv } from '../child-env.ts';
import { WatchkeeperError } from '../errors.ts';

const run = promisify(execFile);

/** The `exec` credential plugin of a kubeconfig user (client.authentication.k8s.io). */
export interface ExecPlugin {
  apiVersion: string;
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
}

/** What one kubeconfig context resolves to: the server, its TLS settings and the user's credentials. */
export interface ResolvedContext {
  contextName: string;
  server: string;
  namespace?: string;
  ca?: Buffer;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  token?: string;
  tokenFile?: string;
  cert?: Buffer;
  key?: Buffer;
  /** Paths of the client certificate and key when the kubeconfig names files (re-read as they rotate). */
  certFile?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  exec?: ExecPlugin;
}

/** Credentials an exec plugin printed (an ExecCredential's status). */
export interface ExecCredential {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  /** When to run the plugin again; undefined means no expiry was given. */
  expiresAt?: number;
}

type Entry<T> = { name: string } & T;
interface RawCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
}
interface RawUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  exec?: ExecPlugin;
  'auth-provider'?: { name?: string };
}
interface RawContext {
  cluster?: string;
  user?: string;
  namespace?: string;
}
interface RawConfig {
  'current-context'?: string;
  clusters?: Entry<{ cluster?: RawCluster }>[];
  users?: Entry<{ user?: RawUser }>[];
  contexts?: Entry<{ context?: RawContext }>[];
}

/** An entry of a merged kubeconfig, with the directory its relative paths are resolved from. */
type Located<T> = { value: T; dir: string };

/** Several kubeconfig files merged as kubectl does: the first file that defines a name wins. */
export interface MergedKubeconfig {
  currentContext?: string;
  clusters: Map<string, Located<RawCluster>>;
  users: Map<string, Located<RawUser>>;
  contexts: Map<string, RawContext>;
  /** Files merged, for messages. */
  where: string;
}

/** Reads and merges kubeconfig files; throws config_invalid naming the file when one cannot be read or parsed. */
export function loadKubeconfigs(files: readonly string[]): MergedKubeconfig {
  const merged: MergedKubeconfig = {
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    where: files.join(':'),
  };
  for (const file of files) {
    let raw: RawConfig;
    try {
      raw = (parse(readFileSync(file, 'utf8')) ?? {}) as RawConfig;
    } catch (error) {
      throw new WatchkeeperError(
        'config_invalid',
        `kubeconfig ${file}: cannot be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
        { cause: error },
      );
    }
    const dir = dirname(resolve(file));
    merged.currentContext ??= raw['current-context'] || undefined;
    for (const c of raw.clusters ?? [])
      if (!merged.clusters.has(c.name)) merged.clusters.set(c.name, { value: c.cluster ?? {}, dir });
    for (const u of raw.users ?? [])
      if (!merged.users.has(u.name)) merged.users.set(u.name, { value: u.user ?? {}, dir });
    for (const c of raw.contexts ?? []) if (!merged.contexts.has(c.name)) merged.contexts.set(c.name, c.context ?? {});
  }
  return merged;
}

/** Resolves one context (default: current-context) to server, TLS material and credentials. */
export function resolveContext(config: MergedKubeconfig, contextName?: string): ResolvedContext {
  const fail = (message: string): never => {
    throw new WatchkeeperError('config_invalid', `kubeconfig ${config.where}: ${message}`);
  };
  const name = contextName ?? config.currentContext ?? fail('no current-context (set one, or kubernetes.context)');
  const context =
    config.contexts.get(name) ??
    fail(`context "${name}" not found (has: ${[...config.contexts.keys()].join(', ') || 'none'})`);
  const cluster =
    config.clusters.get(context.cluster ?? '') ??
    fail(`context "${name}" names cluster "${context.cluster ?? ''}", which is not defined`);
  const user =
    context.user === undefined
      ? { value: {}, dir: cluster.dir }
      : (config.users.get(context.user) ??
        fail(`context "${name}" names user "${context.user}", which is not defined`));
  const server = cluster.value.server ?? fail(`cluster "${context.cluster ?? ''}" has no server`);
  const u = user.value;
  if (u['auth-provider'])
    fail(
      `user "${context.user ?? ''}" uses the auth-provider "${u['auth-provider'].name ?? ''}", which watchkeeper does not support: use an exec plugin or a token`,
    );
  const located = (path: string | undefined, dir: string): string | undefined =>
    path === undefined ? undefined : isAbsolute(path) ? path : resolve(dir, path);
  const file = (path: string | undefined, dir: string): Buffer | undefined => {
    const where = located(path, dir);
    return where === undefined ? undefined : readFileSync(where);
  };
  const hasCa =
    cluster.value['certificate-authority-data'] !== undefined || cluster.value['certificate-authority'] !== undefined;
  if (cluster.value['insecure-skip-tls-verify'] === true && hasCa) {
    // As client-go: a CA and insecure-skip-tls-verify contradict each other; which one was meant is unknown.
    fail(
      `cluster "${context.cluster ?? ''}": specifying a root certificates file with the insecure flag is not allowed (remove insecure-skip-tls-verify or the certificate authority)`,
    );
  }
  const data = (b64: string | undefined): Buffer | undefined =>
    b64 === undefined ? undefined : Buffer.from(b64, 'base64');
  return {
    contextName: name,
    server: server.replace(/\/+$/, ''),
    namespace: context.namespace,
    ca: data(cluster.value['certificate-authority-data']) ?? file(cluster.value['certificate-authority'], cluster.dir),
    insecureSkipTlsVerify: cluster.value['insecure-skip-tls-verify'] === true,
    tlsServerName: cluster.value['tls-server-name'],
    token: u.token,
    tokenFile:
      u.tokenFile === undefined ? undefined : isAbsolute(u.tokenFile) ? u.tokenFile : resolve(user.dir, u.tokenFile),
    cert: data(u['client-certificate-data']) ?? file(u['client-certificate'], user.dir),
    key: data(u['client-key-data']) ?? file(u['client-key'], user.dir),
    certFile: u['client-certificate-data'] === undefined ? located(u['client-certificate'], user.dir) : undefined,
    keyFile: u['client-key-data'] === undefined ? located(u['client-key'], user.dir) : undefined,
    username: u.username,
    password: u.password,
    exec: u.exec,
  };
}

/** Runs an exec credential plugin and returns what it printed; the message names the command on failure. */
export async function runExecPlugin(plugin: ExecPlugin, server: string): Promise<ExecCredential> {
  const info = {
    apiVersion: plugin.apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false, cluster: { server } },
  };
  let stdout: string;
  try {
    ({ stdout } = await run(plugin.command, plugin.args ?? [], {
      // Only a minimal environment plus what the kubeconfig names: never watchkeeper's own credentials.
      env: childEnv({
        ...Object.fromEntries((plugin.env ?? []).map((e) => [e.name, e.value])),
        KUBERNETES_EXEC_INFO: JSON.stringify(info),
      }),
      timeout: 60_000,
    }));
  } catch (error) {
    throw new WatchkeeperError(
      'kube_unreachable',
      `kubeconfig exec plugin ${plugin.command} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      { cause: error },
    );
  }
  let status:
    | { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string }
    | undefined;
  try {
    status = (JSON.parse(stdout) as { status?: typeof status }).status;
  } catch {
    throw new WatchkeeperError(
      'kube_unreachable',
      `kubeconfig exec plugin ${plugin.command} printed no ExecCredential JSON`,
    );
  }
  if (!status?.token && !status?.clientCertificateData) {
    throw new WatchkeeperError(
      'kube_unreachable',
      `kubeconfig exec plugin ${plugin.command} returned neither a token nor a client certificate`,
    );
  }
  return {
    token: status.token,
    cert: status.clientCertificateData === undefined ? undefined : Buffer.from(status.clientCertificateData),
    key: status.clientKeyData === undefined ? undefined : Buffer.from(status.clientKeyData),
    expiresAt: status.expirationTimestamp === undefined ? undefined : Date.parse(status.expirationTimestamp),
  };
}
