import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateConfig } from '../../core/config/load.ts';
import { startCluster, type Cluster } from '../env/index.ts';
import { writeKubeconfig } from '../env/kubeconfig.ts';

interface Manifest { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string> }

const dir = join(import.meta.dirname, '../../deploy/kubernetes');
const files = (parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] }).resources;
const manifests: Manifest[] = files
  .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Manifest));

/** API path of a manifest's collection (enough kinds for deploy/). */
function collectionPath(m: Manifest): string {
  const plural: Record<string, string> = {
    Namespace: 'namespaces', ServiceAccount: 'serviceaccounts', ConfigMap: 'configmaps', ClusterRole: 'clusterroles',
    ClusterRoleBinding: 'clusterrolebindings', Role: 'roles', RoleBinding: 'rolebindings', DaemonSet: 'daemonsets', Deployment: 'deployments',
  };
  const resource = plural[m.kind];
  if (!resource) throw new Error(`no path for kind ${m.kind}`);
  const base = m.apiVersion === 'v1' ? '/api/v1' : `/apis/${m.apiVersion}`;
  return m.metadata.namespace ? `${base}/namespaces/${m.metadata.namespace}/${resource}` : `${base}/${resource}`;
}

describe('deploy/kubernetes manifests', () => {
  let cluster: Cluster;
  beforeAll(async () => { cluster = await startCluster({ nodes: 3 }); });
  afterAll(async () => { await cluster?.stop(); });

  it('are all listed in kustomization.yaml, in apply order', () => {
    expect([...files].sort()).toEqual(readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort());
    expect(files[0]).toBe('namespace.yaml');
  });

  it('embed watchkeeper configurations that pass the config schema', () => {
    const configs = manifests.filter((m) => m.kind === 'ConfigMap' && m.data?.['watchkeeper.yaml']);
    expect(configs.map((m) => m.metadata.name).sort()).toEqual(['watchkeeper-agent', 'watchkeeper-backup', 'watchkeeper-prober']);
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

  it('give the prober service account every right a probe run needs', async () => {
    const { status, body } = await cluster.request('POST', '/api/v1/namespaces/watchkeeper/serviceaccounts/watchkeeper-prober/token',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
    expect(status, body).toBe(201);
    const token = (JSON.parse(body) as { status: { token: string } }).status.token;
    const work = await mkdtemp(join(tmpdir(), 'deploy-prober-'));
    const kubeconfig = await writeKubeconfig(join(work, 'sa.kubeconfig'), cluster.server, cluster.caFile, { token });
    const config = join(work, 'watchkeeper.yaml');
    await writeFile(config, 'prober:\n  replicas: 2\n  leftoverMinAgeSeconds: 0\n  timeouts: { workloadSeconds: 30, teardownSeconds: 30 }\n');
    const result = await promisify(execFile)(process.execPath, [join(import.meta.dirname, '../../cli/main.ts'), 'prober', '--once', '-c', config,
      '--set', `kubernetes.kubeconfig=${kubeconfig}`, '--set', 'log.level=warn'], { env: { ...process.env, KUBECONFIG: '' } })
      .catch((error: { stdout: string; stderr: string }) => { throw new Error(`prober --once failed:\n${error.stdout}\n${error.stderr}`); });
    expect(result.stdout).toMatch(/teardown/);
  });
});
