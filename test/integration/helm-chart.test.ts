// The Helm chart (deploy/helm/watchkeeper): linted, rendered and installed into a real cluster by the
// helm binary that provision.sh builds; the plain manifests and values.schema.json are checked not stale.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { helmValuesSchema } from '../../cli/helm-values-schema.ts';
import { validateConfig } from '../../core/config/load.ts';
import { explicitKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';
import { startCluster, toolBinary, type Cluster } from '../env/index.ts';
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
      'ClusterRole/watchkeeper-prober',
      'ClusterRole/watchkeeper-restore',
      'ClusterRoleBinding/watchkeeper-agent',
      'ClusterRoleBinding/watchkeeper-backup-reader',
      'ClusterRoleBinding/watchkeeper-prober',
      'ClusterRoleBinding/watchkeeper-restore',
      'ConfigMap/cluster-control-plane-dashboard',
      'ConfigMap/cluster-etcd-dashboard',
      'ConfigMap/cluster-nodes-dashboard',
      'ConfigMap/watchkeeper-agent',
      'ConfigMap/watchkeeper-backup',
      'ConfigMap/watchkeeper-backup-dashboard',
      'ConfigMap/watchkeeper-logs-dashboard',
      'ConfigMap/watchkeeper-metrics-dashboard',
      'ConfigMap/watchkeeper-prober',
      'ConfigMap/watchkeeper-prober-dashboard',
      'DaemonSet/watchkeeper-agent',
      'Deployment/watchkeeper-backup',
      'Deployment/watchkeeper-prober',
      'NetworkPolicy/watchkeeper-agent',
      'NetworkPolicy/watchkeeper-backup',
      'NetworkPolicy/watchkeeper-prober',
      'PodDisruptionBudget/watchkeeper-backup',
      'Role/watchkeeper-backup-leader',
      'RoleBinding/watchkeeper-backup-leader',
      'Service/watchkeeper-agent',
      'Service/watchkeeper-backup',
      'Service/watchkeeper-prober',
      'ServiceAccount/watchkeeper-agent',
      'ServiceAccount/watchkeeper-backup',
      'ServiceAccount/watchkeeper-prober',
      'ServiceAccount/watchkeeper-restore',
      'ValidatingAdmissionPolicy/watchkeeper-backup-lease',
      'ValidatingAdmissionPolicy/watchkeeper-prober-namespaces',
      'ValidatingAdmissionPolicyBinding/watchkeeper-backup-lease',
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
    ).toEqual(['watchkeeper-agent', 'watchkeeper-backup', 'watchkeeper-prober']);
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
      'watchkeeper-prober',
    ]);
    for (const m of configs) {
      const config = validateConfig(parse(m.data!['watchkeeper.yaml']!), m.metadata.name);
      expect([config.cluster.name, config.prober.intervalSeconds, config.server.port]).toEqual(['prod-eu', 30, 9464]);
    }
    expect(manifests.filter((m) => m.kind === 'DaemonSet' || m.kind === 'Deployment')).toHaveLength(3);

    await writeFile(join(work, 'bad.yaml'), 'prober: { intervalSeconds: -1 }\n');
    const failed = await run(process.execPath, [cli, 'render', 'manifests', '-c', join(work, 'bad.yaml')]).then(
      () => null,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 2, stdout: '' });
    expect(failed!.stderr).toMatch(/prober\.intervalSeconds/);
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

  it('installs under another release name and namespace, and its prober service account can run a probe', async () => {
    await helm(
      ['install', 'wk', chart, '--namespace', 'monitoring', '--create-namespace', '--set', 'backup.etcd.enabled=false'],
      cluster.adminKubeconfig,
    );
    const { status, body } = await cluster.request(
      'POST',
      '/api/v1/namespaces/monitoring/serviceaccounts/wk-watchkeeper-prober/token',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    );
    expect(status, body).toBe(201);
    const token = (JSON.parse(body) as { status: { token: string } }).status.token;
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

    expect(await helm(['uninstall', 'wk', '--namespace', 'monitoring'], cluster.adminKubeconfig)).toMatch(
      /uninstalled/,
    );
    expect(
      (
        await cluster.request(
          'GET',
          '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/wk-watchkeeper-prober-namespaces',
        )
      ).status,
    ).toBe(404);
  });
});
