import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, type PrometheusServer } from '../test/env/index.ts';
import { allDashboards } from './index.ts';
import { queryVariableNames, referencedVariables, withAllValues } from './variables.ts';

interface Panel {
  title: string;
  description: string;
  targets: { expr: string }[];
  fieldConfig: { defaults: { unit: string; thresholds: { steps: unknown[] } } };
}
interface Model {
  uid: string;
  panels: Panel[];
  links?: { url: string }[];
  templating: { list: { name: string; type: string; definition?: string }[] };
}

const models = Object.entries(allDashboards()).filter(([file]) => file.startsWith('cluster-'));
const cluster = models.map(([, model]) => model as unknown as Model);
const uids = new Set(Object.values(allDashboards()).map((d) => d.uid));
const byUid = (uid: string): Model => cluster.find((d) => d.uid === uid)!;

describe('cluster dashboards', () => {
  let prometheus: PrometheusServer;
  beforeAll(async () => {
    prometheus = await startPrometheus({});
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('are the overview, control plane, etcd, nodes, workloads and persistent volumes dashboards', () => {
    expect(cluster.map((d) => d.uid).sort()).toEqual([
      'cluster-control-plane',
      'cluster-etcd',
      'cluster-nodes',
      'cluster-overview',
      'cluster-persistent-volumes',
      'cluster-workloads',
    ]);
  });

  it('give every panel a description, a unit and at least one threshold', () => {
    for (const d of cluster) {
      for (const p of d.panels) {
        expect(p.description.length, `${d.uid} / ${p.title} description`).toBeGreaterThan(20);
        expect(p.fieldConfig.defaults.unit, `${d.uid} / ${p.title} unit`).toMatch(/\w/);
        expect(p.fieldConfig.defaults.thresholds.steps.length, `${d.uid} / ${p.title} thresholds`).toBeGreaterThan(1);
      }
    }
  });

  it('offer datasource and cluster variables (and node on the nodes dashboard) used by every query', () => {
    for (const d of cluster) {
      const variables = d.templating.list.map((v) => v.name);
      expect(variables.slice(0, 2), d.uid).toEqual(['datasource', 'cluster']);
      for (const p of d.panels)
        for (const t of p.targets) expect(t.expr, `${d.uid} / ${p.title}`).toContain('cluster=~"$cluster"');
    }
    const nodes = byUid('cluster-nodes');
    expect(nodes.templating.list.map((v) => v.name)).toContain('node');
    for (const p of nodes.panels) for (const t of p.targets) expect(t.expr, p.title).toContain('instance=~"$node"');
  });

  it('filter by namespace (and pod, node) where the series have those labels', () => {
    const names = (uid: string): string[] => byUid(uid).templating.list.map((v) => v.name);
    expect(names('cluster-workloads')).toEqual(['datasource', 'cluster', 'namespace', 'pod']);
    expect(names('cluster-persistent-volumes')).toEqual(['datasource', 'cluster', 'namespace']);
    expect(names('cluster-overview')).toEqual(['datasource', 'cluster', 'nodename']);
    for (const p of byUid('cluster-workloads').panels)
      for (const t of p.targets) {
        expect(t.expr, p.title).toContain('namespace=~"$namespace"');
        // Controllers, Jobs and HPAs have no pod label; every pod and container series is filtered by pod.
        if (/kube_pod_|container_/.test(t.expr)) expect(t.expr, p.title).toContain('pod=~"$pod"');
      }
    // PersistentVolumes are cluster-wide; every claim and volume-stats query is filtered by namespace.
    for (const p of byUid('cluster-persistent-volumes').panels)
      for (const t of p.targets)
        if (!t.expr.includes('kube_persistentvolume_')) expect(t.expr, p.title).toContain('namespace=~"$namespace"');
    for (const p of byUid('cluster-overview').panels)
      for (const t of p.targets)
        if (t.expr.includes('kube_node_') || t.expr.includes('kube_pod_'))
          expect(t.expr, p.title).toContain('node=~"$nodename"');
  });

  it('use only variables they define', () => {
    for (const [file, model] of models) {
      const defined = queryVariableNames(model);
      const d = model as unknown as Model;
      for (const p of d.panels)
        for (const t of p.targets)
          for (const name of referencedVariables(t.expr))
            expect(defined, `${file} / ${p.title}: $${name}`).toContain(name);
    }
  });

  it('have panel and variable queries that a real Prometheus accepts, with variables at "All"', async () => {
    for (const [file, model] of models) {
      const d = model as unknown as Model;
      for (const p of d.panels)
        for (const t of p.targets) {
          const expr = withAllValues(t.expr, model);
          await expect(prometheus.query(expr), `${file} / ${p.title}: ${expr}`).resolves.toBeInstanceOf(Array);
        }
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        const inner = /^label_values\((.*), *([a-z_]+)\)$/.exec(v.definition ?? '');
        expect(inner, `${file} variable ${v.name}`).not.toBeNull();
        const selector = withAllValues(inner![1]!, model);
        await expect(prometheus.query(selector), `${file} variable ${v.name}`).resolves.toBeInstanceOf(Array);
      }
    }
  });

  it('link to each other and to dashboards that exist', () => {
    for (const d of cluster) {
      const targets = (d.links ?? []).map((l) => l.url.replace('/d/', ''));
      for (const other of cluster) if (other.uid !== d.uid) expect(targets, d.uid).toContain(other.uid);
      for (const uid of targets) expect(uids, `${d.uid} links to ${uid}`).toContain(uid);
    }
  });
});
