import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { WatchkeeperError } from '../errors.ts';
import {
  loadKubeconfigs,
  resolveContext,
  runExecPlugin,
  type ExecCredential,
  type MergedKubeconfig,
} from './kubeconfig.ts';
import { RotatingClientCert, type CertPair } from './rotating-cert.ts';

/** Where the credentials of a {@link KubeAccess} came from. */
export type AccessSource = 'kubeconfig' | 'KUBECONFIG' | 'in-cluster' | 'home-kubeconfig' | 'explicit';

/** TLS material for connections to the API server. */
export interface TlsMaterial {
  /** CA bundle that signs the server certificate; none means the system roots. */
  ca?: Buffer;
  /** Client certificate (PEM), for client-certificate authentication. */
  cert?: Buffer;
  /** Key of the client certificate (PEM). */
  key?: Buffer;
  /** False only when the kubeconfig says insecure-skip-tls-verify. */
  rejectUnauthorized: boolean;
  /** TLS server name to verify instead of the URL's host. */
  servername?: string;
}

/** Everything needed to talk to one API server as one user. */
export interface KubeAccess {
  /** Base URL of the API server, without a trailing slash, e.g. https://10.0.0.1:6443. */
  server: string;
  /** Default namespace of the context (or of the service account in a pod). */
  namespace: string;
  source: AccessSource;
  /** Human-readable origin for logs, e.g. "kubeconfig /etc/kube/admin.conf, context admin". Never holds secrets. */
  description: string;
  tls: TlsMaterial;
  /**
   * The TLS material to use now, when it can change: client certificate files named in a
   * kubeconfig and certificates returned by exec plugins rotate. The same object while nothing
   * changed; absent means `tls` never changes.
   */
  currentTls?(): TlsMaterial;
  /** Headers that authenticate one request (Authorization); refreshed as tokens rotate. */
  authHeaders(): Promise<Record<string, string>>;
  /** Forgets cached credentials, e.g. after a 401, so the next request reads them again. */
  invalidate(): void;
}

/** How {@link resolveKubeAccess} looks for credentials; every field has a sensible default. */
export interface ResolveOptions {
  /** Explicit kubeconfig path: wins over everything else. */
  kubeconfig?: string;
  /** Context to use; default: the kubeconfig's current-context. */
  context?: string;
  /** Environment for $KUBECONFIG and KUBERNETES_SERVICE_HOST/PORT. */
  env?: NodeJS.ProcessEnv;
  /** Directory of the mounted service account; default /var/run/secrets/kubernetes.io/serviceaccount. */
  serviceAccountDir?: string;
  /** Home directory for ~/.kube/config. */
  homeDir?: string;
}

/** Default mount point of a pod's service account token, CA and namespace. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How long credentials read through a kubeconfig (token files, exec plugins) are reused. */
const authCacheMs = 30_000;

/**
 * Finds credentials in this order: explicit kubeconfig path, $KUBECONFIG (colon-separated list,
 * first file wins per entry), the in-cluster service account, ~/.kube/config.
 */
export async function resolveKubeAccess(options: ResolveOptions = {}): Promise<KubeAccess> {
  const env = options.env ?? process.env;
  if (options.kubeconfig !== undefined) {
    return fromKubeConfig(loadKubeconfigs([options.kubeconfig]), 'kubeconfig', options.kubeconfig, options.context);
  }
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  if (listed.length > 0) {
    const present = listed.filter((p) => existsSync(p));
    if (present.length === 0) {
      throw new WatchkeeperError(
        'config_invalid',
        `KUBECONFIG names ${listed.join(delimiter)} but none of these files exists`,
      );
    }
    return fromKubeConfig(loadKubeconfigs(present), 'KUBECONFIG', present.join(delimiter), options.context);
  }
  const saDir = options.serviceAccountDir ?? serviceAccountDir;
  if (existsSync(join(saDir, 'token'))) return inClusterAccess(saDir, env);
  const home = join(options.homeDir ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return fromKubeConfig(loadKubeconfigs([home]), 'home-kubeconfig', home, options.context);
  throw new WatchkeeperError(
    'config_invalid',
    `no Kubernetes credentials found: set kubernetes.kubeconfig, $KUBECONFIG, run in a pod with a service account, or create ${home}`,
  );
}

/** Options of {@link explicitKubeAccess}: a server and one way to authenticate. */
export interface ExplicitAccessOptions {
  server: string;
  /** CA bundle (PEM) or a file holding it. */
  ca?: Buffer | string;
  caFile?: string;
  /** Bearer token, or a file that holds it (re-read as it rotates). */
  token?: string;
  tokenFile?: string;
  /** Client certificate and key files (PEM). */
  certFile?: string;
  keyFile?: string;
  insecureSkipTlsVerify?: boolean;
  namespace?: string;
}

/** Builds access from explicit values (tests, tools); no kubeconfig involved. */
export function explicitKubeAccess(options: ExplicitAccessOptions): KubeAccess {
  if (options.insecureSkipTlsVerify === true && (options.ca !== undefined || options.caFile !== undefined)) {
    throw new WatchkeeperError(
      'config_invalid',
      'specifying a root certificates file with the insecure flag is not allowed',
    );
  }
  const ca =
    options.ca !== undefined
      ? Buffer.from(options.ca)
      : options.caFile !== undefined
        ? readFileSync(options.caFile)
        : undefined;
  const tls: TlsMaterial = { rejectUnauthorized: options.insecureSkipTlsVerify !== true };
  if (ca) tls.ca = ca;
  if (options.certFile !== undefined) tls.cert = readFileSync(options.certFile);
  if (options.keyFile !== undefined) tls.key = readFileSync(options.keyFile);
  const auth =
    options.tokenFile !== undefined
      ? tokenFileAuth(options.tokenFile)
      : {
          headers: (): Promise<Record<string, string>> =>
            Promise.resolve<Record<string, string>>(
              options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {},
            ),
          invalidate: () => undefined,
        };
  const method =
    options.token !== undefined
      ? 'bearer token'
      : options.tokenFile !== undefined
        ? `token file ${options.tokenFile}`
        : tls.cert
          ? 'client certificate'
          : 'no credentials';
  return {
    server: trimSlash(options.server),
    namespace: options.namespace ?? 'default',
    source: 'explicit',
    description: `${trimSlash(options.server)} with ${method}`,
    tls,
    authHeaders: auth.headers,
    invalidate: auth.invalidate,
  };
}

function inClusterAccess(saDir: string, env: NodeJS.ProcessEnv): KubeAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new WatchkeeperError(
      'config_invalid',
      `found a service account in ${saDir} but KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set`,
    );
  }
  const nsFile = join(saDir, 'namespace');
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : 'default';
  const access = explicitKubeAccess({
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    caFile: join(saDir, 'ca.crt'),
    tokenFile: join(saDir, 'token'),
    namespace,
  });
  return { ...access, source: 'in-cluster', description: `in-cluster service account (${saDir}) at ${access.server}` };
}

/** Reads a token file, re-reading it after a while because kubelet rotates projected tokens. */
function tokenFileAuth(file: string): { headers: () => Promise<Record<string, string>>; invalidate: () => void } {
  let cached: { token: string; at: number } | undefined;
  return {
    headers: () => {
      if (!cached || Date.now() - cached.at > authCacheMs)
        cached = { token: readFileSync(file, 'utf8').trim(), at: Date.now() };
      return Promise.resolve({ authorization: `Bearer ${cached.token}` });
    },
    invalidate: () => {
      cached = undefined;
    },
  };
}

async function fromKubeConfig(
  config: MergedKubeconfig,
  source: AccessSource,
  where: string,
  contextName: string | undefined,
): Promise<KubeAccess> {
  const ctx = resolveContext(config, contextName);
  const tls: TlsMaterial = { rejectUnauthorized: !ctx.insecureSkipTlsVerify };
  if (ctx.ca) tls.ca = ctx.ca;
  if (ctx.tlsServerName) tls.servername = ctx.tlsServerName;
  if (ctx.cert) tls.cert = ctx.cert;
  if (ctx.key) tls.key = ctx.key;
  let auth: { headers: () => Promise<Record<string, string>>; invalidate: () => void };
  /** Where the client certificate comes from now, when it can rotate. */
  let certSource: (() => CertPair | undefined) | undefined;
  if (ctx.certFile !== undefined && ctx.keyFile !== undefined && ctx.cert && ctx.key) {
    const files = new RotatingClientCert(ctx.certFile, ctx.keyFile, { cert: ctx.cert, key: ctx.key });
    certSource = () => files.current();
  }
  if (ctx.exec) {
    const plugin = ctx.exec;
    let cached: ExecCredential | undefined = await runExecPlugin(plugin, ctx.server);
    if (cached.cert) tls.cert = cached.cert;
    if (cached.key) tls.key = cached.key;
    let lastPair: CertPair | undefined;
    // The plugin runs again when its credential expires; a new certificate then replaces the old one.
    certSource = () => {
      if (!cached?.cert || !cached.key) return lastPair;
      if (lastPair?.cert !== cached.cert) lastPair = { cert: cached.cert, key: cached.key };
      return lastPair;
    };
    const fetchedAt = { at: Date.now() };
    auth = {
      headers: async (): Promise<Record<string, string>> => {
        const expired =
          cached === undefined ||
          (cached.expiresAt !== undefined
            ? Date.now() > cached.expiresAt - 10_000
            : Date.now() - fetchedAt.at > authCacheMs);
        if (expired) {
          cached = await runExecPlugin(plugin, ctx.server);
          fetchedAt.at = Date.now();
        }
        return cached?.token ? { authorization: `Bearer ${cached.token}` } : {};
      },
      invalidate: () => {
        cached = undefined;
      },
    };
  } else if (ctx.tokenFile !== undefined) {
    auth = tokenFileAuth(ctx.tokenFile);
  } else {
    const headers: Record<string, string> =
      ctx.token !== undefined
        ? { authorization: `Bearer ${ctx.token}` }
        : ctx.username !== undefined
          ? { authorization: `Basic ${Buffer.from(`${ctx.username}:${ctx.password ?? ''}`).toString('base64')}` }
          : {};
    auth = { headers: () => Promise.resolve(headers), invalidate: () => undefined };
  }
  let tlsNow = tls;
  const rotating = certSource;
  return {
    server: ctx.server,
    namespace: ctx.namespace ?? 'default',
    source,
    description: `kubeconfig ${where}, context ${ctx.contextName}`,
    tls,
    ...(rotating
      ? {
          currentTls: (): TlsMaterial => {
            const pair = rotating();
            if (pair && (pair.cert !== tlsNow.cert || pair.key !== tlsNow.key)) {
              tlsNow = { ...tlsNow, cert: pair.cert, key: pair.key };
            }
            return tlsNow;
          },
        }
      : {}),
    authHeaders: auth.headers,
    invalidate: auth.invalidate,
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
