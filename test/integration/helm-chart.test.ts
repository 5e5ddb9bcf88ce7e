// The Helm chart (deploy/helm/watchkeeper): linted, rendered and installed into a real cluster by the
// helm binary that provision.sh builds; the plain manifests and values.schema.json are checked not stale.
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { helmValuesSchema } from '../../cli/helm-values-schema.ts';
import { validateConfig } from '../../core/config/load.ts';
import { explicitKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';
import { freePort, startCluster, toolBinary, type Cluster } from '../env/index.ts';
import { writeKubeconfig } from '../env/kubeconfig.ts';
import { eventually } from '../support/eventually.ts';

const root = join(import.meta.dirname, '../..');
const chart = join(root, 'deploy/helm/watchkeeper');
const run = promisify(execFile);

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: unknown;
}

let helmHome = '';
/** Runs helm with its own config and cache directories; rejects with helm's stderr. */
async function helm(args: string[], kubeconfig = ''): Promise<string> {
  helmHome ||= await mkdtemp(join(tmpdir(), 'helm-home-'));
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
  const { stdout } = await run(toolBinary('helm', 'helm'), args, { env, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout: string; stderr: string }) => {
      throw new Error(`helm ${args[0]} failed:\n${error.stdout}\n${error.stderr}`);
    },
  );
  return stdout;
}

const template = async (...set: string[]): Promise<Manifest[]> =>
  parseAllDocuments(
    await helm(['template', 'watchkeeper', chart, '--namespace', 'watchkeeper', ...set.flatMap((s) => ['--set', s])]),
  )
    .map((d) => d.toJS() as Manifest)
    .filter(Boolean);

describe('helm chart', () => {
  it('passes helm lint --strict', async () => {
    expect(await helm(['lint', '--strict', chart])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders every component with the hardened pods, RBAC and admission policies of the manifests', async () => {
    const kinds = (await template()).map((m) => `${m.kind}/${m.metadata.name}`).sort();
    expect(kinds).toEqual([
      'ClusterRole/watchkeeper-agent',
      'ClusterRole/watchkeeper-backup-reader',
      'ClusterRole/watchkeeper-collector',
      'ClusterRole/watchkeeper-prober',
      'ClusterRole/watchkeeper-restore',
      'ClusterRoleBinding/watchkeeper-agent',
      'ClusterRoleBinding/watchkeeper-backup-reader',
      'ClusterRoleBinding/watchkeeper-collector',
      'ClusterRoleBinding/watchkeeper-prober',
      'ClusterRoleBinding/watchkeeper-restore',
      'ConfigMap/cluster-control-plane-dashboard',
      'ConfigMap/cluster-etcd-dashboard',
      'ConfigMap/cluster-nodes-dashboard',
      'ConfigMap/cluster-overview-dashboard',
      'ConfigMap/cluster-persistent-volumes-dashboard',
      'ConfigMap/cluster-workloads-dashboard',
      'ConfigMap/watchkeeper-agent',
      'ConfigMap/watchkeeper-backup',
      'ConfigMap/watchkeeper-backup-dashboard',
      'ConfigMap/watchkeeper-collector',
      'ConfigMap/watchkeeper-logs-dashboard',
      'ConfigMap/watchkeeper-metrics-dashboard',
      'ConfigMap/watchkeeper-prober',
      'ConfigMap/watchkeeper-prober-dashboard',
      'DaemonSet/watchkeeper-agent',
      'Deployment/watchkeeper-backup',
      'Deployment/watchkeeper-collector',
      'Deployment/watchkeeper-prober',
      'NetworkPolicy/watchkeeper-agent',
      'NetworkPolicy/watchkeeper-backup',
      'NetworkPolicy/watchkeeper-collector',
      'NetworkPolicy/watchkeeper-prober',
      'PodDisruptionBudget/watchkeeper-backup',
      'PodDisruptionBudget/watchkeeper-collector',
      'Role/watchkeeper-backup-leader',
      'Role/watchkeeper-collector-shard',
      'RoleBinding/watchkeeper-backup-leader',
      'RoleBinding/watchkeeper-collector-shard',
      'Service/watchkeeper-agent',
      'Service/watchkeeper-backup',
      'Service/watchkeeper-collector',
      'Service/watchkeeper-prober',
      'ServiceAccount/watchkeeper-agent',
      'ServiceAccount/watchkeeper-backup',
      'ServiceAccount/watchkeeper-collector',
      'ServiceAccount/watchkeeper-prober',
      'ServiceAccount/watchkeeper-restore',
      'ValidatingAdmissionPolicy/watchkeeper-backup-lease',
      'ValidatingAdmissionPolicy/watchkeeper-collector-leases',
      'ValidatingAdmissionPolicy/watchkeeper-prober-namespaces',
      'ValidatingAdmissionPolicyBinding/watchkeeper-backup-lease',
      'ValidatingAdmissionPolicyBinding/watchkeeper-collector-leases',
      'ValidatingAdmissionPolicyBinding/watchkeeper-prober-namespaces',
    ]);
  });

  it('embeds component configs that pass the config schema, with the Lease the backup may hold', async () => {
    const manifests = await template('backup.config.cluster.name=eu-1');
    for (const m of manifests.filter((m) => m.data?.['watchkeeper.yaml'])) {
      const config = validateConfig(parse(m.data!['watchkeeper.yaml']!), m.metadata.name);
      expect(config.server, m.metadata.name).toEqual({ host: '0.0.0.0', port: 9464 });
      if (m.metadata.name === 'watchkeeper-backup') {
        expect(config.cluster.name).toBe('eu-1');
        expect(config.backup.leaderElection).toMatchObject({
          namespace: 'watchkeeper',
          leaseName: 'watchkeeper-backup',
        });
      }
    }
  });

  type Workload = Manifest & {
    spec: {
      template: {
        spec: {
          terminationGracePeriodSeconds?: number;
          hostNetwork?: boolean;
          hostPID?: boolean;
          containers: { env?: { name: string; valueFrom?: unknown }[]; volumeMounts?: { mountPath: string }[] }[];
          volumes?: { name: string; hostPath?: { path: string }; secret?: { secretName: string } }[];
        };
      };
    };
  };
  const workload = (manifests: Manifest[], name: string) =>
    manifests.find((m) => (m.kind === 'Deployment' || m.kind === 'DaemonSet') && m.metadata.name === name) as
      Workload | undefined;
  const configOf = (manifests: Manifest[], name: string) =>
    validateConfig(
      parse(manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === name)!.data!['watchkeeper.yaml']!),
      name,
    );

  it('runs the collector sharded on Leases of its own namespace, stopping within the pod grace period', async () => {
    const manifests = await template();
    const config = configOf(manifests, 'watchkeeper-collector');
    expect(config.metrics.sharding).toMatchObject({
      enabled: true,
      namespace: 'watchkeeper',
      group: 'watchkeeper-collector',
    });
    expect(config.metrics.jobs.map((j) => `${j.job}:${j.kubernetes?.role}`)).toEqual([
      'apiserver:apiserver',
      'kubelet:node',
      'cadvisor:node',
      'kubelet-resource:node',
      'kube-scheduler:kube-scheduler',
      'kube-controller-manager:kube-controller-manager',
      'pods:pod',
      'services:service',
      'etcd:etcd',
    ]);
    const { graceSeconds, renewSeconds } = config.metrics.sharding;
    expect(config.shutdownTimeoutSeconds).toBeGreaterThanOrEqual(graceSeconds + 3 * renewSeconds + 5);
    const pod = workload(manifests, 'watchkeeper-collector')!.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(config.shutdownTimeoutSeconds);
    expect(pod.containers[0]!.env!.filter((e) => e.valueFrom).map((e) => e.name)).toEqual(['POD_NAME', 'NODE_NAME']);
    expect(pod.volumes!.find((v) => v.name === 'etcd-client')!.secret!.secretName).toBe(
      'watchkeeper-metrics-etcd-client',
    );
    const withoutEtcd = await template('collector.etcd.enabled=false');
    expect(configOf(withoutEtcd, 'watchkeeper-collector').metrics.jobs.map((j) => j.job)).not.toContain('etcd');
    expect(workload(withoutEtcd, 'watchkeeper-collector')!.spec.template.spec.volumes!.map((v) => v.name)).toEqual([
      'config',
    ]);
    expect(
      workload(await template('collector.config.shutdownTimeoutSeconds=40'), 'watchkeeper-collector')!.spec.template
        .spec.terminationGracePeriodSeconds,
    ).toBe(45);
    await expect(template('collector.config.metrics.sharding.graceSeconds=30')).rejects.toThrow(
      new RegExp(
        String.raw`collector\.config\.shutdownTimeoutSeconds \(25\) must be at least ` +
          String.raw`metrics\.sharding\.graceSeconds \(30\) \+ 3 × metrics\.sharding\.renewSeconds \(3\) \+ 5 = 44`,
      ),
    );
  });

  it("gives the agent its metrics rights and the node collector's host access only when enabled", async () => {
    type Role = Manifest & { rules: { resources?: string[] }[] };
    const agentResources = (manifests: Manifest[]) =>
      (manifests.find((m) => m.kind === 'ClusterRole' && m.metadata.name === 'watchkeeper-agent') as Role).rules
        .flatMap((r) => r.resources ?? [])
        .sort();
    const plain = await template();
    expect(agentResources(plain)).toEqual(['namespaces', 'pods']);
    const plainPod = workload(plain, 'watchkeeper-agent')!.spec.template.spec;
    expect([plainPod.hostNetwork, plainPod.hostPID]).toEqual([undefined, undefined]);
    expect(plainPod.volumes!.map((v) => v.hostPath?.path).filter(Boolean)).toEqual([
      '/var/log',
      '/var/lib/watchkeeper',
    ]);

    const metricsOnly = await template('agent.config.metrics.enabled=true');
    expect(agentResources(metricsOnly)).toEqual(['namespaces', 'nodes', 'nodes/metrics', 'pods']);
    expect(workload(metricsOnly, 'watchkeeper-agent')!.spec.template.spec.hostPID).toBeUndefined();

    const node = await template('agent.config.metrics.enabled=true', 'agent.config.metrics.node.enabled=true');
    const pod = workload(node, 'watchkeeper-agent')!.spec.template.spec;
    expect([pod.hostNetwork, pod.hostPID]).toEqual([true, true]);
    expect(pod.containers[0]!.volumeMounts!.filter((m) => m.mountPath.startsWith('/host/'))).toEqual([
      { name: 'host-proc', mountPath: '/host/proc', readOnly: true },
      { name: 'host-sys', mountPath: '/host/sys', readOnly: true },
      { name: 'host-root', mountPath: '/host/root', readOnly: true, mountPropagation: 'HostToContainer' },
    ]);
    expect(configOf(node, 'watchkeeper-agent').metrics.node).toMatchObject({
      enabled: true,
      procPath: '/host/proc',
      sysPath: '/host/sys',
      rootfsPath: '/host/root',
    });
    const contained = workload(
      await template(
        'agent.config.metrics.enabled=true',
        'agent.config.metrics.node.enabled=true',
        'agent.nodeCollector.hostNetwork=false',
        'agent.nodeCollector.hostPID=false',
      ),
      'watchkeeper-agent',
    )!.spec.template.spec;
    expect([contained.hostNetwork, contained.hostPID]).toEqual([undefined, undefined]);
  });

  it('refuses a bad config value or an unknown key at helm template (values.schema.json)', async () => {
    await expect(template('prober.config.prober.intervalSeconds=-1')).rejects.toThrow(/intervalSeconds/);
    await expect(template('backup.config.backup.storage.type=ftp')).rejects.toThrow(/type/);
    await expect(template('agent.config.logz.sink=x')).rejects.toThrow(/logz/);
    await expect(template('agent.priorityClass=high')).rejects.toThrow(/priorityClass/);
  });

  it('admits only the metrics port into the pods, and the audit webhook port into the agent only when it is enabled', async () => {
    type Policy = Manifest & { spec: { ingress: { ports: { port: string | number }[] }[] } };
    const ports = async (...set: string[]): Promise<Record<string, (string | number)[]>> =>
      Object.fromEntries(
        (await template(...set))
          .filter((m): m is Policy => m.kind === 'NetworkPolicy')
          .map((m) => [m.metadata.name, m.spec.ingress.flatMap((r) => r.ports.map((p) => p.port))]),
      );
    expect(await ports()).toEqual({
      'watchkeeper-agent': ['metrics'],
      'watchkeeper-collector': ['metrics'],
      'watchkeeper-prober': ['metrics'],
      'watchkeeper-backup': ['metrics'],
    });
    expect(
      (await ports('agent.config.logs.auditWebhook.enabled=true', 'agent.config.logs.auditWebhook.port=8443'))[
        'watchkeeper-agent'
      ],
    ).toEqual(['metrics', 8443]);
  });

  it('ships values.schema.json as generated from the config schema (watchkeeper render --values-schema)', () => {
    expect(JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8'))).toEqual(helmValuesSchema());
  });

  it('renders the Prometheus Operator objects and the Grafana dashboards from rendered/', async () => {
    const manifests = await template('serviceMonitor.enabled=true', 'prometheusRule.enabled=true');
    expect(
      manifests
        .filter((m) => m.kind === 'ServiceMonitor')
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['watchkeeper-agent', 'watchkeeper-backup', 'watchkeeper-collector', 'watchkeeper-prober']);
    const rules = manifests.filter((m) => m.kind === 'PrometheusRule');
    const rendered = ['watchkeeper', 'cluster'].map((name): unknown =>
      parse(readFileSync(join(root, `rendered/alerts/${name}.rules.yaml`), 'utf8')),
    );
    expect(rules.map((m) => m.spec)).toEqual(rendered);
    const dashboards = manifests.filter((m) => m.metadata.labels?.grafana_dashboard === '1');
    const files = readdirSync(join(root, 'rendered/dashboards')).sort();
    expect(dashboards.flatMap((m) => Object.keys(m.data!)).sort()).toEqual(files);
    for (const m of dashboards)
      for (const [file, json] of Object.entries(m.data!)) {
        expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync(join(root, 'rendered/dashboards', file), 'utf8')));
      }
  });

  it('is what deploy/kubernetes holds (bash deploy/render-kubernetes.sh)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'render-kubernetes-'));
    await run('bash', [join(root, 'deploy/render-kubernetes.sh'), out], {
      env: { ...process.env, HELM: toolBinary('helm', 'helm') },
    });
    const rendered = readdirSync(out);
    expect(rendered.length).toBeGreaterThan(5);
    for (const file of rendered) {
      expect(readFileSync(join(root, 'deploy/kubernetes', file), 'utf8'), `deploy/kubernetes/${file} is stale`).toBe(
        readFileSync(join(out, file), 'utf8'),
      );
    }
  });
});

describe('watchkeeper render manifests', () => {
  const cli = join(root, 'cli/main.ts');
  it('embeds a validated config file in every component ConfigMap, and refuses a bad one with exit 2', async () => {
    const work = await mkdtemp(join(tmpdir(), 'render-manifests-'));
    await writeFile(join(work, 'ok.yaml'), 'cluster: { name: prod-eu }\nprober: { intervalSeconds: 30 }\n');
    const { stdout } = await run(process.execPath, [cli, 'render', 'manifests', '-c', join(work, 'ok.yaml')]);
    const manifests = parseAllDocuments(stdout).map((d) => d.toJS() as Manifest);
    const configs = manifests.filter((m) => m.data?.['watchkeeper.yaml']);
    expect(configs.map((m) => m.metadata.name).sort()).toEqual([
      'watchkeeper-agent',
      'watchkeeper-backup',
      'watchkeeper-collector',
      'watchkeeper-prober',
    ]);
    for (const m of configs) {
      const config = validateConfig(parse(m.data!['watchkeeper.yaml']!), m.metadata.name);
      expect([config.cluster.name, config.prober.intervalSeconds, config.server.port]).toEqual(['prod-eu', 30, 9464]);
    }
    expect(manifests.filter((m) => m.kind === 'DaemonSet' || m.kind === 'Deployment')).toHaveLength(4);
    const collector = configs.find((m) => m.metadata.name === 'watchkeeper-collector')!;
    expect(validateConfig(parse(collector.data!['watchkeeper.yaml']!), 'collector').metrics.sharding).toMatchObject({
      enabled: true,
      namespace: 'watchkeeper',
      group: 'watchkeeper-collector',
    });

    await writeFile(join(work, 'bad.yaml'), 'prober: { intervalSeconds: -1 }\n');
    const failed = await run(process.execPath, [cli, 'render', 'manifests', '-c', join(work, 'bad.yaml')]).then(
      () => null,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 2, stdout: '' });
    expect(failed!.stderr).toMatch(/prober\.intervalSeconds/);
    await writeFile(join(work, 'slow-leave.yaml'), 'metrics: { sharding: { graceSeconds: 30 } }\n');
    const slow = await run(process.execPath, [cli, 'render', 'manifests', '-c', join(work, 'slow-leave.yaml')]).then(
      () => null,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(slow).toMatchObject({ code: 2, stdout: '' });
    expect(slow!.stderr).toMatch(/as the collector's, sharded.*\n.*shutdownTimeoutSeconds \(25\) must be at least/);
    const missing = await run(process.execPath, [cli, 'render', 'manifests', '-c', join(work, 'absent.yaml')]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/absent\.yaml: cannot be read \(ENOENT\)/) as unknown,
    });
  });
});

describe('helm install into a real cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** A short-lived token of one of the release's service accounts (TokenRequest). */
  const tokenOf = async (component: string): Promise<string> => {
    const { status, body } = await cluster.request(
      'POST',
      `/api/v1/namespaces/monitoring/serviceaccounts/wk-watchkeeper-${component}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    );
    expect(status, body).toBe(201);
    return (JSON.parse(body) as { status: { token: string } }).status.token;
  };

  it('installs under another release name and namespace, and its prober service account can run a probe', async () => {
    await helm(
      [
        'install',
        'wk',
        chart,
        '--namespace',
        'monitoring',
        '--create-namespace',
        '--set',
        'backup.etcd.enabled=false',
        '--set',
        'collector.etcd.enabled=false',
      ],
      cluster.adminKubeconfig,
    );
    const token = await tokenOf('prober');
    const work = await mkdtemp(join(tmpdir(), 'helm-prober-'));
    const kubeconfig = await writeKubeconfig(join(work, 'sa.kubeconfig'), cluster.server, cluster.caFile, { token });
    const config = join(work, 'watchkeeper.yaml');
    await writeFile(
      config,
      'prober:\n  replicas: 2\n  leftoverMinAgeSeconds: 0\n  timeouts: { workloadSeconds: 30, teardownSeconds: 30 }\n',
    );
    const result = await run(
      process.execPath,
      [
        join(root, 'cli/main.ts'),
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

    // The admission policy names this release's prober: outside its namespaces the same identity is refused.
    // Admission policies take effect a moment after they are created: wait for the refusal, never for success.
    const prober = new KubeClient(explicitKubeAccess({ server: cluster.server, caFile: cluster.caFile, token }));
    const denied = await eventually(
      () =>
        prober.request('POST', '/api/v1/namespaces/kube-system/configmaps', {
          body: { metadata: { name: 'x' } },
          acceptErrorStatus: true,
        }),
      (r) => r.status === 403,
      'prober refused in kube-system',
      20_000,
    );
    expect(denied.body.toString()).toMatch(/ValidatingAdmissionPolicy 'wk-watchkeeper-prober-namespaces'/);
  });

  it('gives the collector service account exactly the reads and Leases it needs (SubjectAccessReview)', async () => {
    const canI = async (attributes: Record<string, string>, nonResource = false): Promise<boolean> => {
      const { body } = await cluster.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: 'system:serviceaccount:monitoring:wk-watchkeeper-collector',
          groups: ['system:serviceaccounts', 'system:serviceaccounts:monitoring', 'system:authenticated'],
          ...(nonResource ? { nonResourceAttributes: attributes } : { resourceAttributes: attributes }),
        },
      });
      return (JSON.parse(body) as { status: { allowed: boolean } }).status.allowed;
    };
    const watched: [string, string[]][] = [
      ['', ['nodes', 'pods', 'services', 'endpoints', 'namespaces', 'persistentvolumeclaims', 'persistentvolumes']],
      ['discovery.k8s.io', ['endpointslices']],
      ['apps', ['deployments', 'statefulsets', 'daemonsets']],
      ['batch', ['jobs']],
      ['autoscaling', ['horizontalpodautoscalers']],
    ];
    const needed: Record<string, string>[] = [
      ...watched.flatMap(([group, resources]) =>
        resources.flatMap((resource) => ['list', 'watch'].map((verb) => ({ group, resource, verb }))),
      ),
      { resource: 'nodes', subresource: 'metrics', verb: 'get', name: 'kwok-node-0' },
      ...['get', 'list', 'watch', 'create', 'update', 'delete'].map((verb) => ({
        group: 'coordination.k8s.io',
        resource: 'leases',
        namespace: 'monitoring',
        verb,
      })),
    ];
    const missing: string[] = [];
    for (const attributes of needed) if (!(await canI(attributes))) missing.push(JSON.stringify(attributes));
    if (!(await canI({ path: '/metrics', verb: 'get' }, true))) missing.push('get /metrics');
    expect(missing).toEqual([]);

    const refused: Record<string, string>[] = [
      ...['get', 'list', 'watch'].map((verb) => ({ resource: 'secrets', verb })),
      { resource: 'secrets', verb: 'get', namespace: 'monitoring', name: 'any' },
      { resource: 'configmaps', verb: 'list' },
      ...['create', 'update', 'patch', 'delete'].flatMap((verb) =>
        watched.flatMap(([group, resources]) => resources.map((resource) => ({ group, resource, verb }))),
      ),
      ...['get', 'create'].map((verb) => ({ resource: 'nodes', subresource: 'proxy', verb, name: 'kwok-node-0' })),
      { resource: 'pods', subresource: 'exec', verb: 'create', namespace: 'monitoring' },
      { resource: 'pods', subresource: 'log', verb: 'get', namespace: 'monitoring' },
      { resource: 'serviceaccounts', subresource: 'token', verb: 'create', namespace: 'monitoring' },
      { resource: 'nodes', verb: 'get', name: 'kwok-node-0' },
      ...['get', 'create', 'update'].map((verb) => ({
        group: 'coordination.k8s.io',
        resource: 'leases',
        namespace: 'kube-system',
        verb,
      })),
      { group: 'rbac.authorization.k8s.io', resource: 'rolebindings', verb: 'create', namespace: 'monitoring' },
    ];
    const allowed: string[] = [];
    for (const attributes of refused) if (await canI(attributes)) allowed.push(JSON.stringify(attributes));
    for (const verb of ['post', 'put', 'delete'])
      if (await canI({ path: '/metrics', verb }, true)) allowed.push(`${verb} /metrics`);
    if (await canI({ path: '/logs', verb: 'get' }, true)) allowed.push('get /logs');
    expect(allowed).toEqual([]);
  });

  it("runs `watchkeeper collector` with the chart's config as its service account: the API server is up", async () => {
    // The chart's config as installed; the service account's mount is a directory here, and this API server
    // advertises 127.0.0.1, which the API refuses as an endpoint: the kubernetes EndpointSlice is written with a
    // documentation address and one relabel rule sends the scrape to where this API server listens (as in
    // metrics-cluster.test.ts).
    const api = new URL(cluster.server);
    const slice = await cluster.request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.10'], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    });
    expect(slice.status, slice.body).toBe(201);
    const configMap = await cluster.request('GET', '/api/v1/namespaces/monitoring/configmaps/wk-watchkeeper-collector');
    expect(configMap.status, configMap.body).toBe(200);
    const work = await mkdtemp(join(tmpdir(), 'helm-collector-'));
    const mount = join(work, 'serviceaccount');
    await mkdir(mount);
    const token = await tokenOf('collector');
    await writeFile(join(mount, 'token'), token, { mode: 0o600 });
    await copyFile(cluster.caFile, join(mount, 'ca.crt'));
    const config = parse(
      (JSON.parse(configMap.body) as { data: Record<string, string> }).data['watchkeeper.yaml']!.replaceAll(
        '/var/run/secrets/kubernetes.io/serviceaccount',
        mount,
      ),
    ) as { metrics: { jobs: { job: string; relabelConfigs?: unknown[] }[] } };
    const apiJob = config.metrics.jobs.find((j) => j.job === 'apiserver')!;
    // A short interval only so that the test does not wait for the first of the default 30 s.
    Object.assign(apiJob, { interval: '2s', timeout: '2s' });
    apiJob.relabelConfigs = [
      { source_labels: ['__address__'], target_label: 'instance' },
      { target_label: '__address__', replacement: api.host },
    ];
    const file = join(work, 'watchkeeper.yaml');
    await writeFile(file, stringify(config));
    const kubeconfig = await writeKubeconfig(join(work, 'sa.kubeconfig'), cluster.server, cluster.caFile, { token });
    const port = await freePort();
    const collector = spawn(
      process.execPath,
      [
        join(root, 'cli/main.ts'),
        'collector',
        '-c',
        file,
        '--set',
        `kubernetes.kubeconfig=${kubeconfig}`,
        '--set',
        `server.port=${port}`,
        '--set',
        'server.host=127.0.0.1',
        '--set',
        'log.format=json',
      ],
      { env: { ...process.env, KUBECONFIG: '', POD_NAME: 'wk-watchkeeper-collector-7d9f-abcde' } },
    );
    let output = '';
    collector.stdout.on('data', (c: Buffer) => (output += c.toString()));
    collector.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exit = new Promise<number | null>((resolve) => collector.once('exit', resolve));
    try {
      const up = 'up{job="apiserver",instance="192.0.2.10:6443"} 1';
      const text = await eventually(
        () =>
          fetch(`http://127.0.0.1:${port}/metrics`).then(
            (r) => r.text(),
            () => '',
          ),
        (t) => t.split('\n').includes(up),
        'API server scraped by the collector',
        90_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${output}`);
      });
      expect(text).toMatch(/^apiserver_request_total\{.*job="apiserver",instance="192\.0\.2\.10:6443"\} \d+/m);
      expect(text).toMatch(/^watchkeeper_shard_replicas 1$/m);
      const group = encodeURIComponent('watchkeeper.io/shard-group=wk-watchkeeper-collector');
      const leases = async () =>
        (
          JSON.parse(
            (
              await cluster.request(
                'GET',
                `/apis/coordination.k8s.io/v1/namespaces/monitoring/leases?labelSelector=${group}`,
              )
            ).body,
          ) as { items: { metadata: { name: string } }[] }
        ).items.map((l) => l.metadata.name);
      expect(await leases()).toContain('wk-watchkeeper-collector-member-wk-watchkeeper-collector-7d9f-abcde');
      expect(output).not.toContain(token);
      // SIGTERM: it leaves the shard group (within the default shutdown budget) and removes its member Lease.
      collector.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(await leases()).not.toContain('wk-watchkeeper-collector-member-wk-watchkeeper-collector-7d9f-abcde');
      expect(output).not.toMatch(/"level":(50|60)/);
    } finally {
      collector.kill('SIGKILL');
    }

    // The same identity is refused Secrets (RBAC) and Leases outside its group (the admission policy).
    const asCollector = new KubeClient(explicitKubeAccess({ server: cluster.server, caFile: cluster.caFile, token }));
    const secrets = await asCollector.request('GET', '/api/v1/namespaces/monitoring/secrets', {
      acceptErrorStatus: true,
    });
    expect(secrets.status).toBe(403);
    const squat = await eventually(
      () =>
        asCollector.request('POST', '/apis/coordination.k8s.io/v1/namespaces/monitoring/leases', {
          body: { metadata: { name: 'wk-watchkeeper-backup' }, spec: { holderIdentity: 'evil' } },
          acceptErrorStatus: true,
        }),
      (r) => r.status === 403,
      'collector refused a Lease outside its group',
      20_000,
    );
    expect(squat.body.toString()).toMatch(/ValidatingAdmissionPolicy 'wk-watchkeeper-collector-leases'/);
  });

  it('uninstalls, admission policies included', async () => {
    expect(await helm(['uninstall', 'wk', '--namespace', 'monitoring'], cluster.adminKubeconfig)).toMatch(
      /uninstalled/,
    );
    for (const policy of ['wk-watchkeeper-prober-namespaces', 'wk-watchkeeper-collector-leases'])
      expect(
        (await cluster.request('GET', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${policy}`))
          .status,
        policy,
      ).toBe(404);
  });
});
