import { describe, expect, it } from 'vitest';
import { allDashboards } from './index.ts';

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
  templating: { list: { name: string }[] };
}

const cluster = Object.entries(allDashboards())
  .filter(([file]) => file.startsWith('cluster-'))
  .map(([, model]) => model as unknown as Model);
const uids = new Set(Object.values(allDashboards()).map((d) => d.uid));

describe('cluster dashboards', () => {
  it('are the control plane, etcd and nodes dashboards', () => {
    expect(cluster.map((d) => d.uid).sort()).toEqual(['cluster-control-plane', 'cluster-etcd', 'cluster-nodes']);
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
    const nodes = cluster.find((d) => d.uid === 'cluster-nodes')!;
    expect(nodes.templating.list.map((v) => v.name)).toContain('node');
    for (const p of nodes.panels) for (const t of p.targets) expect(t.expr, p.title).toContain('instance=~"$node"');
  });

  it('link to each other and to dashboards that exist', () => {
    for (const d of cluster) {
      const targets = (d.links ?? []).map((l) => l.url.replace('/d/', ''));
      for (const other of cluster) if (other.uid !== d.uid) expect(targets, d.uid).toContain(other.uid);
      for (const uid of targets) expect(uids, `${d.uid} links to ${uid}`).toContain(uid);
    }
  });
});
