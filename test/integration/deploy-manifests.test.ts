import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateConfig } from '../../core/config/load.ts';
import { explicitKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';
import { LeaderElector } from '../../core/kube/lease.ts';
import { podSecurityLabels } from '../../prober/labels.ts';
import { neededPermissions } from '../../prober/steps/api.ts';
import { eventually } from '../support/eventually.ts';
import { startCluster, type Cluster } from '../env/index.ts';
import { writeKubeconfig } from '../env/kubeconfig.ts';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: WorkloadSpec;
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
  fsGroup?: number;
}
interface WorkloadSpec {
  template: {
    spec: {
      serviceAccountName: string;
      hostNetwork?: boolean;
      securityContext?: SecurityContext;
      containers: {
        name: string;
        ports?: { name: string; containerPort: number }[];
        securityContext?: SecurityContext;
        volumeMounts?: { name: string }[];
      }[];
      volumes?: { name: string; secret?: { defaultMode?: number }; hostPath?: { path: string } }[];
    };
  };
}

const dir = join(import.meta.dirname, '../../deploy/kubernetes');
const files = (
  parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] }
).resources;
const manifests: Manifest[] = files.flatMap((f) =>
  parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Manifest),
);

/** API path of a manifest's collection (enough kinds for deploy/). */
function collectionPath(m: Manifest): string {
  const plural: Record<string, string> = {
    Namespace: 'namespaces',
    ServiceAccount: 'serviceaccounts',
    ConfigMap: 'configmaps',
    ClusterRole: 'clusterroles',
    ClusterRoleBinding: 'clusterrolebindings',
    Role: 'roles',
    RoleBinding: 'rolebindings',
    DaemonSet: 'daemonsets',
    Deployment: 'deployments',
    ValidatingAdmissionPolicy: 'validatingadmissionpolicies',
    ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings',
    Service: 'services',
    PodDisruptionBudget: 'poddisruptionbudgets',
    NetworkPolicy: 'networkpolicies',
  };
  const resource = plural[m.kind];
  if (!resource) throw new Error(`no path for kind ${m.kind}`);
  const base = m.apiVersion === 'v1' ? '/api/v1' : `/apis/${m.apiVersion}`;
  return m.metadata.namespace ? `${base}/namespaces/${m.metadata.namespace}/${resource}` : `${base}/${resource}`;
}

describe('deploy/kubernetes manifests', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('are all listed in kustomization.yaml, in apply order', () => {
    expect([...files].sort()).toEqual(
      readdirSync(dir)
        .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
        .sort(),
    );
    expect(files[0]).toBe('namespace.yaml');
  });

  it('embed watchkeeper configurations that pass the config schema', () => {
    const configs = manifests.filter((m) => m.kind === 'ConfigMap' && m.data?.['watchkeeper.yaml']);
    expect(configs.map((m) => m.metadata.name).sort()).toEqual([
      'watchkeeper-agent',
      'watchkeeper-backup',
      'watchkeeper-collector',
      'watchkeeper-prober',
    ]);
    expect(files).toContain('admission.yaml');
    for (const m of configs) {
      const doc = parseAllDocuments(m.data!['watchkeeper.yaml']!)[0]!.toJS() as unknown;
      expect(() => validateConfig(doc, `ConfigMap ${m.metadata.name}`)).not.toThrow();
    }
  });

  it('are accepted by a real API server (RBAC applied, workloads by server-side dry run)', async () => {
    for (const m of manifests) {
      const dryRun = m.kind === 'DaemonSet' || m.kind === 'Deployment' || m.kind === 'ConfigMap';
      const { status, body } = await cluster.request('POST', `${collectionPath(m)}${dryRun ? '?dryRun=All' : ''}`, m);
      expect(status, `${m.kind} ${m.metadata.name}: ${body.slice(0, 300)}`).toBe(201);
    }
  });

  /** A token of a service account, from the API server's TokenRequest. */
  const tokenOf = async (serviceAccountName: string): Promise<string> => {
    const { status, body } = await cluster.request(
      'POST',
      `/api/v1/namespaces/watchkeeper/serviceaccounts/${serviceAccountName}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    );
    expect(status, body).toBe(201);
    return (JSON.parse(body) as { status: { token: string } }).status.token;
  };
  const clientAs = async (serviceAccountName: string): Promise<KubeClient> =>
    new KubeClient(
      explicitKubeAccess({ server: cluster.server, caFile: cluster.caFile, token: await tokenOf(serviceAccountName) }),
    );

  it('give the prober service account every right a probe run needs', async () => {
    const token = await tokenOf('watchkeeper-prober');
    const work = await mkdtemp(join(tmpdir(), 'deploy-prober-'));
    const kubeconfig = await writeKubeconfig(join(work, 'sa.kubeconfig'), cluster.server, cluster.caFile, { token });
    const config = join(work, 'watchkeeper.yaml');
    await writeFile(
      config,
      'prober:\n  replicas: 2\n  leftoverMinAgeSeconds: 0\n  timeouts: { workloadSeconds: 30, teardownSeconds: 30 }\n',
    );
    const result = await promisify(execFile)(
      process.execPath,
      [
        join(import.meta.dirname, '../../cli/main.ts'),
        'prober',
        '--once',
        '-c',
        config,
        '--set',
        `kubernetes.kubeconfig=${kubeconfig}`,
        '--set',
        'log.level=warn',
      ],
      { env: { ...process.env, KUBECONFIG: '' } },
    ).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`prober --once failed:\n${error.stdout}\n${error.stderr}`);
    });
    expect(result.stdout).toMatch(/teardown/);
  });

  const workloads = (): Manifest[] => manifests.filter((m) => m.kind === 'DaemonSet' || m.kind === 'Deployment');

  it('harden every container: non-root (the agent: root without any capability), read-only, no escalation, RuntimeDefault', () => {
    expect(
      workloads()
        .map((w) => w.metadata.name)
        .sort(),
    ).toEqual(['watchkeeper-agent', 'watchkeeper-backup', 'watchkeeper-collector', 'watchkeeper-prober']);
    for (const w of workloads()) {
      const pod = w.spec!.template.spec;
      for (const c of pod.containers) {
        const sc = { ...pod.securityContext, ...c.securityContext };
        const where = `${w.metadata.name}/${c.name}`;
        expect(sc.readOnlyRootFilesystem, where).toBe(true);
        expect(sc.allowPrivilegeEscalation, where).toBe(false);
        expect(c.securityContext?.capabilities, where).toEqual({ drop: ['ALL'] });
        expect(sc.seccompProfile, where).toEqual({ type: 'RuntimeDefault' });
        if (w.metadata.name === 'watchkeeper-agent')
          expect(sc, where).toMatchObject({ runAsUser: 0, runAsNonRoot: false });
        else expect(sc, where).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      }
      expect(pod.hostNetwork, w.metadata.name).toBeUndefined();
      for (const v of pod.volumes ?? [])
        if (v.secret) expect(v.secret.defaultMode, `${w.metadata.name} volume ${v.name}`).toBe(0o400); // 256: YAML 1.1 and 1.2 disagree on 0400
    }
    expect(readFileSync(join(dir, '../Dockerfile'), 'utf8')).toMatch(/^USER 1000:1000$/m);
  });

  it('mount on the backup pod only its key, its etcd client certificate and its config: no host path', () => {
    const backup = workloads().find((w) => w.metadata.name === 'watchkeeper-backup')!.spec!.template.spec;
    expect(backup.volumes!.filter((v) => v.hostPath)).toEqual([]);
    expect(backup.containers[0]!.volumeMounts!.map((m) => m.name).sort()).toEqual([
      'config',
      'etcd-client',
      'key',
      'tmp',
    ]);
  });

  it('bind each status server where the manifests point their probes and scrapes', () => {
    for (const w of workloads()) {
      const config = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === w.metadata.name)!;
      const parsed = validateConfig(parseAllDocuments(config.data!['watchkeeper.yaml']!)[0]!.toJS(), w.metadata.name);
      const port = w.spec!.template.spec.containers[0]!.ports!.find((p) => p.name === 'metrics')!.containerPort;
      expect({ host: parsed.server.host, port: parsed.server.port }, w.metadata.name).toEqual({
        host: '0.0.0.0',
        port,
      });
      expect(
        (w as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template
          .metadata.annotations['prometheus.io/port'],
      ).toBe(String(port));
    }
  });

  it('ship admission policies the API server type-checks without warnings', async () => {
    for (const name of ['watchkeeper-prober-namespaces', 'watchkeeper-backup-lease', 'watchkeeper-collector-leases']) {
      const policy = await eventually(
        async () =>
          JSON.parse(
            (await cluster.request('GET', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${name}`))
              .body,
          ) as { status?: { observedGeneration?: number; typeChecking?: { expressionWarnings?: unknown[] } } },
        (p) => p.status?.observedGeneration === 1,
        `policy ${name} checked`,
      );
      expect(policy.status?.typeChecking?.expressionWarnings ?? [], name).toEqual([]);
    }
  });

  const serviceAccount = (name: string): string => `system:serviceaccount:watchkeeper:watchkeeper-${name}`;
  const canI = async (user: string, attributes: Record<string, string>): Promise<boolean> => {
    const { body } = await cluster.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user,
        groups: ['system:serviceaccounts', 'system:serviceaccounts:watchkeeper', 'system:authenticated'],
        resourceAttributes: attributes,
      },
    });
    return (JSON.parse(body) as { status: { allowed: boolean } }).status.allowed;
  };

  it('grant each service account every verb its component uses (SubjectAccessReview)', async () => {
    const expected: [string, Record<string, string>][] = [
      ...['get', 'list', 'watch'].flatMap((verb) =>
        ['pods', 'namespaces'].map((resource) => ['agent', { verb, resource }] as [string, Record<string, string>]),
      ),
      ...neededPermissions.map(
        (p) =>
          [
            'prober',
            {
              verb: p.verb,
              group: p.group,
              resource: p.resource,
              namespace: p.resource === 'namespaces' ? '' : 'watchkeeper-probe-x',
            },
          ] as [string, Record<string, string>],
      ),
      ['prober', { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' }],
      ...['get', 'update'].map(
        (verb) =>
          [
            'backup',
            {
              verb,
              group: 'coordination.k8s.io',
              resource: 'leases',
              namespace: 'watchkeeper',
              name: 'watchkeeper-backup',
            },
          ] as [string, Record<string, string>],
      ),
      ['backup', { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: 'watchkeeper' }],
      // The collector: discovery's watches and the kubelet's metrics (helm-chart.test.ts checks all of its rights).
      ...['nodes', 'pods', 'services'].map(
        (resource) => ['collector', { verb: 'watch', resource }] as [string, Record<string, string>],
      ),
      ['collector', { verb: 'list', group: 'discovery.k8s.io', resource: 'endpointslices' }],
      ['collector', { verb: 'get', resource: 'nodes', subresource: 'metrics' }],
      ...['create', 'update', 'delete'].map(
        (verb) =>
          ['collector', { verb, group: 'coordination.k8s.io', resource: 'leases', namespace: 'watchkeeper' }] as [
            string,
            Record<string, string>,
          ],
      ),
    ];
    const denied = [];
    for (const [who, attributes] of expected)
      if (!(await canI(serviceAccount(who), attributes))) denied.push(`${who}: ${JSON.stringify(attributes)}`);
    expect(denied).toEqual([]);
  });

  it('refuse, as each service account, what it must not do (by RBAC or by admission)', async () => {
    const clients = Object.fromEntries(
      await Promise.all(
        ['agent', 'collector', 'prober', 'backup'].map(
          async (who) => [who, await clientAs(`watchkeeper-${who}`)] as const,
        ),
      ),
    );
    const asAdmin = async (method: string, path: string, body?: unknown): Promise<void> => {
      const { status, body: answer } = await cluster.request(method, path, body);
      expect(status, answer.slice(0, 300)).toBeLessThan(300);
    };
    await asAdmin('POST', '/apis/apps/v1/namespaces/kube-system/deployments', {
      metadata: { name: 'coredns' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'dns' } },
        template: { metadata: { labels: { app: 'dns' } }, spec: { containers: [{ name: 'dns', image: 'dns' }] } },
      },
    });
    await asAdmin('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', {
      metadata: { name: 'kube-controller-manager' },
      spec: { holderIdentity: 'cm' },
    });
    await asAdmin('POST', '/apis/coordination.k8s.io/v1/namespaces/watchkeeper/leases', {
      metadata: { name: 'watchkeeper-collector' },
      spec: { holderIdentity: 'c' },
    });
    await asAdmin('POST', '/api/v1/namespaces', {
      metadata: { name: 'team-a', labels: { 'watchkeeper.io/prober': 'true' } },
    });
    await asAdmin('POST', '/api/v1/namespaces/team-a/configmaps', { metadata: { name: 'app' }, data: { a: '1' } });
    const rbac = /is forbidden: User "system:serviceaccount:watchkeeper:watchkeeper-\w+" cannot/;
    const admission = (policy: string): RegExp =>
      new RegExp(`ValidatingAdmissionPolicy '${policy}' with binding '${policy}' denied request`);
    const attempts: [string, string, string, unknown, RegExp][] = [
      ['agent', 'GET', '/api/v1/namespaces/kube-system/secrets', undefined, rbac],
      ['agent', 'GET', '/api/v1/secrets', undefined, rbac],
      ['collector', 'GET', '/api/v1/secrets', undefined, rbac],
      ['collector', 'PATCH', '/api/v1/nodes/kwok-node-0', { metadata: { labels: { a: 'b' } } }, rbac],
      [
        'collector',
        'DELETE',
        '/apis/coordination.k8s.io/v1/namespaces/watchkeeper/leases/watchkeeper-collector',
        undefined,
        admission('watchkeeper-collector-leases'),
      ],
      [
        'collector',
        'POST',
        '/apis/coordination.k8s.io/v1/namespaces/watchkeeper/leases',
        { metadata: { name: 'watchkeeper-backup' }, spec: { holderIdentity: 'evil' } },
        admission('watchkeeper-collector-leases'),
      ],
      [
        'collector',
        'POST',
        '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases',
        { metadata: { name: 'kube-scheduler' }, spec: { holderIdentity: 'evil' } },
        rbac,
      ],
      [
        'prober',
        'POST',
        '/api/v1/namespaces/kube-system/configmaps',
        { metadata: { name: 'x' } },
        admission('watchkeeper-prober-namespaces'),
      ],
      [
        'prober',
        'PUT',
        '/api/v1/namespaces/team-a/configmaps/app',
        { metadata: { name: 'app' }, data: { a: '2' } },
        admission('watchkeeper-prober-namespaces'),
      ],
      [
        'prober',
        'DELETE',
        '/api/v1/namespaces/team-a/configmaps/app',
        undefined,
        admission('watchkeeper-prober-namespaces'),
      ],
      [
        'prober',
        'PATCH',
        '/apis/apps/v1/namespaces/kube-system/deployments/coredns',
        { spec: { replicas: 1 } },
        admission('watchkeeper-prober-namespaces'),
      ],
      [
        'prober',
        'POST',
        '/api/v1/namespaces',
        { metadata: { name: 'evil', labels: { 'watchkeeper.io/prober': 'true' } } },
        admission('watchkeeper-prober-namespaces'),
      ],
      [
        'prober',
        'POST',
        '/api/v1/namespaces',
        { metadata: { name: 'watchkeeper-probe-unlabelled' } },
        admission('watchkeeper-prober-namespaces'),
      ],
      [
        'prober',
        'POST',
        '/api/v1/namespaces',
        { metadata: { name: 'watchkeeper-probe-privileged', labels: { 'watchkeeper.io/prober': 'true' } } },
        /must carry pod-security.kubernetes.io\/enforce=restricted/,
      ],
      ['prober', 'DELETE', '/api/v1/namespaces/watchkeeper', undefined, admission('watchkeeper-prober-namespaces')],
      ['prober', 'DELETE', '/api/v1/namespaces/team-a', undefined, admission('watchkeeper-prober-namespaces')],
      ['prober', 'GET', '/api/v1/namespaces/kube-system/secrets', undefined, rbac],
      [
        'backup',
        'PUT',
        '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager',
        { metadata: { name: 'kube-controller-manager' }, spec: { holderIdentity: 'evil' } },
        rbac,
      ],
      [
        'backup',
        'PUT',
        '/apis/coordination.k8s.io/v1/namespaces/watchkeeper/leases/watchkeeper-collector',
        { metadata: { name: 'watchkeeper-collector' }, spec: { holderIdentity: 'evil' } },
        rbac,
      ],
      [
        'backup',
        'POST',
        '/apis/coordination.k8s.io/v1/namespaces/watchkeeper/leases',
        { metadata: { name: 'squatted' }, spec: { holderIdentity: 'evil' } },
        admission('watchkeeper-backup-lease'),
      ],
      [
        'backup',
        'POST',
        '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases',
        { metadata: { name: 'kube-scheduler' }, spec: { holderIdentity: 'evil' } },
        rbac,
      ],
      // The backup identity reads Secrets (API backups store them) but writes none.
      [
        'backup',
        'POST',
        '/api/v1/namespaces/watchkeeper/secrets',
        { metadata: { name: 'planted' }, stringData: { a: 'b' } },
        rbac,
      ],
      [
        'backup',
        'PUT',
        '/api/v1/namespaces/watchkeeper/secrets/watchkeeper-backup-key',
        { metadata: { name: 'watchkeeper-backup-key' }, stringData: { a: 'b' } },
        rbac,
      ],
      ...['agent', 'collector', 'prober', 'backup'].flatMap((who): [string, string, string, unknown, RegExp][] => [
        [who, 'POST', '/api/v1/namespaces/watchkeeper/pods/any/exec?command=sh', undefined, rbac],
        [
          who,
          'POST',
          '/api/v1/namespaces/watchkeeper/pods',
          { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
          rbac,
        ],
        [
          who,
          'POST',
          '/apis/rbac.authorization.k8s.io/v1/namespaces/watchkeeper/rolebindings',
          {
            metadata: { name: 'take' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [{ kind: 'ServiceAccount', name: `watchkeeper-${who}`, namespace: 'watchkeeper' }],
          },
          rbac,
        ],
        [
          who,
          'POST',
          '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
          {
            metadata: { name: `take-${who}` },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [{ kind: 'ServiceAccount', name: `watchkeeper-${who}`, namespace: 'watchkeeper' }],
          },
          rbac,
        ],
      ]),
    ];
    try {
      for (const [who, method, path, body, refusedBy] of attempts) {
        // Admission policies take effect a moment after they are created: wait for the refusal, never for success.
        const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
        const answer = await eventually(
          () => clients[who]!.request(method, path, { body, contentType, acceptErrorStatus: true }),
          (r) => r.status === 403,
          `${who} ${method} ${path} refused`,
          20_000,
        );
        expect((JSON.parse(answer.body.toString()) as { message: string }).message, `${who} ${method} ${path}`).toMatch(
          refusedBy,
        );
      }
      for (const who of ['agent', 'collector', 'prober', 'backup']) {
        for (const verb of ['bind', 'escalate'])
          expect(
            await canI(serviceAccount(who), { verb, group: 'rbac.authorization.k8s.io', resource: 'clusterroles' }),
          ).toBe(false);
      }
      // What the prober may do still works through admission: its own labelled namespace and what is inside.
      const ns = 'watchkeeper-probe-allowed';
      const labels = { 'watchkeeper.io/prober': 'true', ...podSecurityLabels };
      const own = await clients.prober!.request('POST', '/api/v1/namespaces', {
        body: { metadata: { name: ns, labels } },
        acceptErrorStatus: true,
      });
      expect(own.status, own.body.toString()).toBe(201);
      const inside = await clients.prober!.request('POST', `/api/v1/namespaces/${ns}/configmaps`, {
        body: { metadata: { name: 'x' } },
        acceptErrorStatus: true,
      });
      expect(inside.status, inside.body.toString()).toBe(201);
      // Even there: no Service that opens a port on every node or claims external IPs.
      for (const spec of [
        { type: 'NodePort', ports: [{ port: 80 }] },
        { ports: [{ port: 80 }], externalIPs: ['192.0.2.10'] },
      ]) {
        const service = await eventually(
          () =>
            clients.prober!.request('POST', `/api/v1/namespaces/${ns}/services`, {
              body: { metadata: { name: 'open' }, spec },
              acceptErrorStatus: true,
            }),
          (r) => r.status === 403,
          `prober ${JSON.stringify(spec)} Service refused`,
          20_000,
        );
        expect((JSON.parse(service.body.toString()) as { message: string }).message).toMatch(
          /may create only ClusterIP Services without externalIPs/,
        );
      }
      const removed = await clients.prober!.request('DELETE', `/api/v1/namespaces/${ns}`, { acceptErrorStatus: true });
      expect(removed.status, removed.body.toString()).toBe(200);
      // The team namespace and its ConfigMap are untouched.
      expect(JSON.parse((await cluster.request('GET', '/api/v1/namespaces/team-a/configmaps/app')).body)).toMatchObject(
        { data: { a: '1' } },
      );
    } finally {
      for (const client of Object.values(clients)) client.close();
    }
  });

  it('let the backup identity elect itself on its own Lease with the shipped configuration', async () => {
    const client = await clientAs('watchkeeper-backup');
    const config = validateConfig(
      parseAllDocuments(
        manifests.find((m) => m.metadata.name === 'watchkeeper-backup' && m.kind === 'ConfigMap')!.data![
          'watchkeeper.yaml'
        ]!,
      )[0]!.toJS(),
      'backup',
    );
    const election = config.backup.leaderElection;
    const started = new Promise<void>((resolve) => {
      const elector = new LeaderElector({
        client,
        namespace: election.namespace,
        name: election.leaseName,
        identity: 'pod-a',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 500,
        onStartedLeading: () => {
          resolve();
          void elector.stop();
        },
      });
      elector.start();
    });
    await started;
    client.close();
  });
});
