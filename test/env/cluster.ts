import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { stringify } from 'yaml';
import { toolBinary } from './binaries.ts';
import { startEtcd, type EtcdServer } from './etcd.ts';
import { httpCall, httpGet, type GetOptions } from './http.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { kubeletMetricsConfig } from './kubelet-metrics.ts';
import { Pki, type CertFiles } from './pki.ts';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { makeWorkDir, removeWorkDir } from './workdir.ts';

/** The processes of the control plane that tests can stop and start. */
export type ComponentName = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Simulated kwok nodes; default 3. */
  nodes?: number;
  /** Audit webhook backend: the API server POSTs EventList batches to `url`. */
  auditWebhook?: { url: string; caFile?: string; token?: string; clientCert?: CertFiles };
  /** Rotate the audit log at this size (MB); default 1. */
  auditLogMaxSizeMb?: number;
  /**
   * kwok simulates each node's kubelet metrics (test/env/kubelet-metrics.ts) at
   * `http://<kwokAddress>/metrics/nodes/<node>/metrics` and `.../metrics/cadvisor`; default off.
   */
  kubeletMetrics?: boolean;
}

/** A running local control plane with kwok nodes. */
export interface Cluster {
  /** API server URL, e.g. https://127.0.0.1:40321. */
  server: string;
  /** CA of the API server's serving certificate (and of client certificates). */
  caFile: string;
  /** Kubeconfig of an admin (system:masters) authenticating with a client certificate. */
  adminKubeconfig: string;
  /** Kubeconfig of an admin authenticating with a bearer token. */
  adminTokenKubeconfig: string;
  /** Kubeconfig of user 'restricted': may only get, list and watch pods in namespace default. */
  restrictedKubeconfig: string;
  adminToken: string;
  restrictedToken: string;
  adminClientCert: CertFiles;
  /** The CA that signs certificates this cluster trusts, to issue more in tests. */
  pki: Pki;
  /** The API server's JSON audit log (rotated at auditLogMaxSizeMb into audit-<timestamp>.log). */
  auditLogPath: string;
  /** URLs of the components' metrics endpoints (self-signed TLS, /metrics open to anyone). */
  metricsUrls: Record<'kube-controller-manager' | 'kube-scheduler', string>;
  /** Names of the kwok nodes. */
  nodes: string[];
  /** host:port of kwok's HTTP server (healthz, and the simulated kubelet metrics with `kubeletMetrics`). */
  kwokAddress: string;
  etcd: EtcdServer;
  /** Work directory with logs and configuration of every component. */
  dir: string;
  /** Sends an authenticated admin request to the API server (setup helper for tests). */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
  stopComponent(name: ComponentName): Promise<void>;
  startComponent(name: ComponentName): Promise<void>;
  stop(): Promise<void>;
}

const auditPolicy = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    { level: 'None', users: ['system:kube-scheduler', 'kwok'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
    { level: 'None', resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }] },
    {
      level: 'Metadata',
      resources: [
        { group: '', resources: ['secrets', 'configmaps'] },
        { group: 'authentication.k8s.io', resources: ['tokenreviews'] },
      ],
    },
    { level: 'RequestResponse', verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
    { level: 'Metadata' },
  ],
};

/**
 * Starts etcd, kube-apiserver (TLS, RBAC, token and client-cert users, service-account signing,
 * audit log and optional audit webhook), kube-controller-manager, kube-scheduler and kwok with
 * `nodes` simulated nodes that run pods, then waits until every node is Ready.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const dir = await makeWorkDir('cluster');
  const pkiDir = join(dir, 'pki');
  await mkdir(pkiDir);
  const [etcd, pki, apiPort, cmPort, schedPort, kwokPort] = await Promise.all([
    startEtcd(),
    Pki.create(pkiDir, 'kubernetes-ca'),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const server = `https://127.0.0.1:${apiPort}`;
  const [serving, admin, controllerManager, scheduler, kwok, serviceAccount] = await Promise.all([
    pki.issue({
      name: 'apiserver',
      commonName: 'kube-apiserver',
      usage: 'server',
      altNames: [
        'IP:127.0.0.1',
        'DNS:localhost',
        'DNS:kubernetes',
        'DNS:kubernetes.default',
        'DNS:kubernetes.default.svc',
        'IP:10.96.0.1',
      ],
    }),
    pki.issue({ name: 'admin', commonName: 'watchkeeper-admin', organizations: ['system:masters'], usage: 'client' }),
    pki.issue({
      name: 'controller-manager',
      commonName: 'system:kube-controller-manager',
      organizations: ['system:masters'],
      usage: 'client',
    }),
    pki.issue({
      name: 'scheduler',
      commonName: 'system:kube-scheduler',
      organizations: ['system:masters'],
      usage: 'client',
    }),
    pki.issue({ name: 'kwok', commonName: 'kwok', organizations: ['system:masters'], usage: 'client' }),
    pki.keyPair('service-account'),
  ]);
  const adminToken = randomBytes(16).toString('hex');
  const restrictedToken = randomBytes(16).toString('hex');
  await writeFile(
    join(dir, 'tokens.csv'),
    `${adminToken},token-admin,1001,system:masters\n${restrictedToken},restricted,1002,\n`,
    { mode: 0o600 },
  );
  await writeFile(join(dir, 'audit-policy.yaml'), stringify(auditPolicy));
  const kwokConfig = join(dir, 'kwok-config.yaml');
  if (options.kubeletMetrics) await writeFile(kwokConfig, kubeletMetricsConfig());
  const auditLogPath = join(dir, 'audit', 'audit.log');
  await mkdir(join(dir, 'audit'));
  const kubeconfig = (name: string, user: Parameters<typeof writeKubeconfig>[3]): Promise<string> =>
    writeKubeconfig(join(dir, `${name}.kubeconfig`), server, pki.caFile, user);
  const [adminKubeconfig, adminTokenKubeconfig, restrictedKubeconfig, cmKubeconfig, schedKubeconfig, kwokKubeconfig] =
    await Promise.all([
      kubeconfig('admin', admin),
      kubeconfig('admin-token', { token: adminToken }),
      kubeconfig('restricted', { token: restrictedToken }),
      kubeconfig('controller-manager', controllerManager),
      kubeconfig('scheduler', scheduler),
      kubeconfig('kwok', kwok),
    ]);

  const apiArgs = [
    `--etcd-servers=${etcd.endpoints[0]}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--tls-cert-file=${serving.certFile}`,
    `--tls-private-key-file=${serving.keyFile}`,
    `--client-ca-file=${pki.caFile}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    '--anonymous-auth=false',
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${serviceAccount.publicKeyFile}`,
    `--service-account-signing-key-file=${serviceAccount.privateKeyFile}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
    `--audit-log-path=${auditLogPath}`,
    '--audit-log-format=json',
    `--audit-log-maxsize=${options.auditLogMaxSizeMb ?? 1}`,
    '--audit-log-maxbackup=5',
    '--audit-log-compress=false',
    '--allow-privileged=true',
    '--profiling=false',
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    '--v=1',
  ];
  if (options.auditWebhook) {
    const webhook = options.auditWebhook;
    const user = webhook.token ? { token: webhook.token } : (webhook.clientCert ?? { token: '' });
    const webhookConfig = join(dir, 'audit-webhook.kubeconfig');
    await writeFile(
      webhookConfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'audit',
            cluster: { server: webhook.url, ...(webhook.caFile ? { 'certificate-authority': webhook.caFile } : {}) },
          },
        ],
        users: [
          {
            name: 'audit',
            user:
              'token' in user
                ? user.token
                  ? { token: user.token }
                  : {}
                : { 'client-certificate': user.certFile, 'client-key': user.keyFile },
          },
        ],
        contexts: [{ name: 'audit', context: { cluster: 'audit', user: 'audit' } }],
        'current-context': 'audit',
      }),
    );
    apiArgs.push(
      `--audit-webhook-config-file=${webhookConfig}`,
      '--audit-webhook-mode=batch',
      '--audit-webhook-batch-max-wait=1s',
      '--audit-webhook-initial-backoff=1s',
    );
  }
  const adminTls: GetOptions = {
    caFile: pki.caFile,
    certFile: admin.certFile,
    keyFile: admin.keyFile,
    timeoutMs: 10_000,
  };
  const componentServing = (port: number, name: string): string[] => [
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, `${name}-certs`)}`,
    '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
    '--leader-elect=false',
    '--v=1',
  ];
  const processes: Record<ComponentName, ManagedProcess> = {
    'kube-apiserver': new ManagedProcess({
      name: 'kube-apiserver',
      command: toolBinary('kubernetes', 'kube-apiserver'),
      args: apiArgs,
      logFile: join(dir, 'kube-apiserver.log'),
      ready: async () => (await httpGet(`${server}/readyz`, adminTls)).status === 200,
      startTimeoutMs: 120_000,
    }),
    'kube-controller-manager': new ManagedProcess({
      name: 'kube-controller-manager',
      command: toolBinary('kubernetes', 'kube-controller-manager'),
      logFile: join(dir, 'kube-controller-manager.log'),
      args: [
        `--kubeconfig=${cmKubeconfig}`,
        ...componentServing(cmPort, 'controller-manager'),
        `--service-account-private-key-file=${serviceAccount.privateKeyFile}`,
        `--root-ca-file=${pki.caFile}`,
        '--cluster-cidr=10.0.0.0/16',
        '--node-monitor-grace-period=40s',
      ],
      ready: async () => (await httpGet(`https://127.0.0.1:${cmPort}/healthz`, { insecure: true })).status === 200,
    }),
    'kube-scheduler': new ManagedProcess({
      name: 'kube-scheduler',
      command: toolBinary('kubernetes', 'kube-scheduler'),
      logFile: join(dir, 'kube-scheduler.log'),
      args: [`--kubeconfig=${schedKubeconfig}`, ...componentServing(schedPort, 'scheduler')],
      ready: async () => (await httpGet(`https://127.0.0.1:${schedPort}/healthz`, { insecure: true })).status === 200,
    }),
    kwok: new ManagedProcess({
      name: 'kwok',
      command: toolBinary('kwok', 'kwok'),
      logFile: join(dir, 'kwok.log'),
      args: [
        `--kubeconfig=${kwokKubeconfig}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--manage-nodes-with-label-selector=',
        '--manage-single-node=',
        '--disregard-status-with-annotation-selector=kwok.x-k8s.io/status=custom',
        '--disregard-status-with-label-selector=',
        '--cidr=10.0.0.1/16',
        '--node-ip=10.0.0.1',
        '--node-lease-duration-seconds=40',
        `--server-address=127.0.0.1:${kwokPort}`,
        ...(options.kubeletMetrics ? [`--config=${kwokConfig}`] : []),
      ],
      ready: async () => (await httpGet(`http://127.0.0.1:${kwokPort}/healthz`)).status === 200,
    }),
  };
  const request = (method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> =>
    httpCall(method, `${server}${path}`, body, adminTls);
  const stopAll = async (): Promise<void> => {
    for (const name of ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver'] as const)
      await processes[name].stop();
    await etcd.stop();
  };
  try {
    await processes['kube-apiserver'].start();
    await Promise.all([
      processes['kube-controller-manager'].start(),
      processes['kube-scheduler'].start(),
      processes.kwok.start(),
      grantRestrictedUser(request),
    ]);
    const nodes = Array.from({ length: options.nodes ?? 3 }, (_, i) => `kwok-node-${i}`);
    await Promise.all(nodes.map((name) => createNode(request, name)));
    await waitForNodesReady(request, nodes);
    return {
      server,
      caFile: pki.caFile,
      adminKubeconfig,
      adminTokenKubeconfig,
      restrictedKubeconfig,
      adminToken,
      restrictedToken,
      adminClientCert: admin,
      pki,
      auditLogPath,
      nodes,
      kwokAddress: `127.0.0.1:${kwokPort}`,
      etcd,
      dir,
      request,
      metricsUrls: {
        'kube-controller-manager': `https://127.0.0.1:${cmPort}/metrics`,
        'kube-scheduler': `https://127.0.0.1:${schedPort}/metrics`,
      },
      stopComponent: (name) => processes[name].stop(),
      startComponent: (name) => processes[name].start(),
      stop: async () => {
        await stopAll();
        await removeWorkDir(dir);
      },
    };
  } catch (error) {
    await stopAll();
    throw new Error(
      `cluster did not start (logs kept in ${dir}): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function expectStatus(
  response: Promise<{ status: number; body: string }>,
  what: string,
  ok = [200, 201],
): Promise<void> {
  const { status, body } = await response;
  if (!ok.includes(status)) throw new Error(`${what}: HTTP ${status}: ${body.slice(0, 300)}`);
}

type Request = Cluster['request'];

async function grantRestrictedUser(request: Request): Promise<void> {
  await expectStatus(
    request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    }),
    'create Role pod-reader',
  );
  await expectStatus(
    request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'restricted-pod-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'restricted' }],
    }),
    'create RoleBinding restricted-pod-reader',
  );
}

async function createNode(request: Request, name: string): Promise<void> {
  const resources = { cpu: '32', memory: '256Gi', pods: '110' };
  await expectStatus(
    request('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
        labels: {
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/os': 'linux',
          'kubernetes.io/hostname': name,
          type: 'kwok',
        },
      },
      status: { allocatable: resources, capacity: resources },
    }),
    `create node ${name}`,
  );
}

async function waitForNodesReady(request: Request, nodes: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let notReady = nodes;
  while (Date.now() < deadline) {
    const { body } = await request('GET', '/api/v1/nodes?labelSelector=type%3Dkwok');
    const items = (
      JSON.parse(body) as {
        items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
      }
    ).items;
    const ready = new Set(
      items
        .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        .map((n) => n.metadata.name),
    );
    notReady = nodes.filter((n) => !ready.has(n));
    if (notReady.length === 0) return;
    await delay(200);
  }
  throw new Error(`nodes not Ready after ${timeoutMs} ms: ${notReady.join(', ')}`);
}
