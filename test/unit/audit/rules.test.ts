import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { suspicious } from '../../../audit/questions/suspicious.ts';
import { DirectoryAuditSource } from '../../../audit/sources/directory.ts';
import { FindingDetector, type Finding } from '../../../audit/detector.ts';
import { auditRules } from '../../../audit/rules.ts';
import type { AuditDocument } from '../../../core/audit-documents.ts';
import { auditEvent, sinkLine, type EventSpec } from './support/events.ts';

const t0 = Date.UTC(2026, 4, 1, 10, 0, 0);
const at = (s: number): string => new Date(t0 + s * 1000).toISOString();
const ev = (spec: Omit<EventSpec, 'time'> & { time?: string }): AuditDocument => auditEvent({ time: at(0), ...spec });

function run(events: AuditDocument[]): { findings: Finding[]; detector: FindingDetector } {
  const findings: Finding[] = [];
  const detector = new FindingDetector((f) => findings.push(f));
  for (const e of events) detector.observe(e);
  return { findings, detector };
}

const privileged = { spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } };
const plainPod = { spec: { containers: [{ name: 'c', image: 'x' }] } };
const hostPathPod = {
  spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'root', hostPath: { path: '/' } }] },
};
const binding = (role: string): unknown => ({
  roleRef: { kind: 'ClusterRole', name: role },
  subjects: [{ kind: 'User', name: 'mallory' }],
});
const manyGets = (user: string, n: number, step: number): AuditDocument[] =>
  Array.from({ length: n }, (_, i) =>
    ev({ verb: 'get', user, resource: 'secrets', namespace: 'shop', name: `s${i}`, time: at(i * step) }),
  );
const denials = (n: number, step: number): AuditDocument[] =>
  Array.from({ length: n }, (_, i) =>
    ev({ verb: 'list', user: 'eve', resource: 'secrets', code: 403, time: at(i * step) }),
  );

// Each rule: events that must give exactly one finding of it, and look-alike events that must give none.
const cases: { rule: string; fires: AuditDocument[]; quiet: AuditDocument[] }[] = [
  {
    rule: 'secrets-listed',
    fires: [ev({ verb: 'list', resource: 'secrets', namespace: 'shop' })],
    quiet: [
      ev({ verb: 'list', resource: 'secrets', code: 403 }),
      ev({ verb: 'watch', resource: 'secrets', user: 'system:kube-controller-manager' }),
      ev({ verb: 'list', resource: 'configmaps' }),
    ],
  },
  {
    rule: 'secrets-read-in-bulk',
    fires: manyGets('alice', 10, 5),
    quiet: [...manyGets('alice', 9, 5), ...manyGets('bob', 10, 10)],
  },
  {
    rule: 'pod-exec',
    fires: [ev({ verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-0', code: 403 })],
    quiet: [ev({ verb: 'get', resource: 'pods', subresource: 'log', namespace: 'shop', name: 'web-0' })],
  },
  {
    rule: 'privileged-pod',
    fires: [ev({ verb: 'create', resource: 'pods', namespace: 'shop', name: 'p', request: privileged })],
    quiet: [
      ev({ verb: 'create', resource: 'pods', namespace: 'shop', name: 'p', request: plainPod }),
      ev({ verb: 'create', resource: 'pods', namespace: 'shop', name: 'p', request: privileged, code: 403 }),
    ],
  },
  {
    rule: 'hostpath-pod',
    fires: [ev({ verb: 'create', resource: 'pods', namespace: 'shop', name: 'h', request: hostPathPod })],
    quiet: [ev({ verb: 'create', resource: 'pods', namespace: 'shop', name: 'h', request: plainPod })],
  },
  {
    rule: 'cluster-admin-binding',
    fires: [
      ev({
        verb: 'create',
        resource: 'clusterrolebindings',
        apiGroup: 'rbac.authorization.k8s.io',
        name: 'b',
        request: binding('cluster-admin'),
      }),
    ],
    quiet: [
      ev({
        verb: 'create',
        resource: 'clusterrolebindings',
        apiGroup: 'rbac.authorization.k8s.io',
        name: 'b',
        request: binding('view'),
      }),
      ev({
        verb: 'create',
        resource: 'clusterrolebindings',
        name: 'cluster-admin',
        user: 'system:apiserver',
        request: binding('cluster-admin'),
      }),
    ],
  },
  {
    rule: 'anonymous-allowed',
    fires: [ev({ verb: 'list', user: 'system:anonymous', groups: ['system:unauthenticated'], resource: 'pods' })],
    quiet: [
      ev({ verb: 'get', user: 'system:anonymous', groups: ['system:unauthenticated'], uri: '/healthz' }),
      ev({ verb: 'list', user: 'system:anonymous', groups: ['system:unauthenticated'], resource: 'pods', code: 401 }),
    ],
  },
  {
    rule: 'impersonation',
    fires: [ev({ verb: 'get', resource: 'pods', namespace: 'shop', name: 'x', as: 'bob' })],
    quiet: [ev({ verb: 'get', resource: 'pods', namespace: 'shop', name: 'x' })],
  },
  {
    rule: 'token-for-other-serviceaccount',
    fires: [
      ev({ verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'shop', name: 'deployer' }),
    ],
    quiet: [
      ev({
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        namespace: 'shop',
        name: 'deployer',
        user: 'system:serviceaccount:shop:deployer',
      }),
      ev({
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        namespace: 'shop',
        name: 'default',
        user: 'system:node:n1',
      }),
    ],
  },
  {
    rule: 'admission-change',
    fires: [
      ev({
        verb: 'patch',
        resource: 'mutatingwebhookconfigurations',
        apiGroup: 'admissionregistration.k8s.io',
        name: 'w',
      }),
    ],
    quiet: [ev({ verb: 'get', resource: 'mutatingwebhookconfigurations', name: 'w' })],
  },
  {
    rule: 'rbac-change',
    fires: [
      ev({ verb: 'delete', resource: 'roles', apiGroup: 'rbac.authorization.k8s.io', namespace: 'shop', name: 'r' }),
    ],
    quiet: [
      ev({
        verb: 'update',
        resource: 'clusterroles',
        name: 'admin',
        user: 'system:serviceaccount:kube-system:clusterrole-aggregation-controller',
      }),
    ],
  },
  {
    rule: 'audit-config-change',
    fires: [ev({ verb: 'update', resource: 'configmaps', namespace: 'kube-system', name: 'audit-policy' })],
    quiet: [ev({ verb: 'update', resource: 'configmaps', namespace: 'kube-system', name: 'coredns' })],
  },
  { rule: 'denied-burst', fires: denials(20, 2), quiet: denials(19, 2) },
];

describe('audit detection rules', () => {
  it('have a firing and a quiet case each, and unique ids', () => {
    expect(cases.map((c) => c.rule).sort()).toEqual(auditRules.map((r) => r.id).sort());
  });

  for (const c of cases) {
    it(`${c.rule}: fires once on its events, not on look-alikes`, () => {
      const fired = run(c.fires).findings.filter((f) => f.rule === c.rule);
      expect(fired).toHaveLength(1);
      expect(fired[0]!.events.map((e) => e.auditID)).toEqual(
        expect.arrayContaining([c.fires[c.fires.length - 1]!.auditID]),
      );
      expect(run(c.quiet).findings.filter((f) => f.rule === c.rule)).toEqual([]);
    });
  }

  it('counts pod creations recorded at Metadata level as not judged instead of passing them', () => {
    const { findings, detector } = run([
      ev({ verb: 'create', resource: 'pods', namespace: 'shop', name: 'p', level: 'Metadata' }),
    ]);
    expect(findings).toEqual([]);
    expect(detector.notJudged.get('privileged-pod')).toBe(1);
    expect(detector.notJudged.get('hostpath-pod')).toBe(1);
  });

  it('starts a burst window afresh after a finding, and names the events and the user', () => {
    const { findings } = run(manyGets('mallory', 25, 1));
    const bulk = findings.filter((f) => f.rule === 'secrets-read-in-bulk');
    expect(bulk).toHaveLength(2);
    expect(bulk[0]).toMatchObject({ user: 'mallory', first: at(0), last: at(9) });
    expect(bulk[0]!.events).toHaveLength(10);
    expect(bulk[1]!.first).toBe(at(10));
  });

  it('find the same through the directory reader: its prefilter drops no line a rule needs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-audit-rules-'));
    const all = cases.flatMap((c) => [...c.fires, ...c.quiet]);
    writeFileSync(join(dir, 'current.ndjson'), all.map((e) => sinkLine(e)).join(''));
    const fromFiles = await suspicious(new DirectoryAuditSource(dir), new Date(t0 - 1000), new Date(t0 + 3600_000));
    const inMemory = run(all).findings;
    const key = (f: Finding): string => `${f.rule} ${f.user} ${f.events.map((e) => e.auditID).join(',')}`;
    expect(fromFiles.findings.map(key).sort()).toEqual(inMemory.map(key).sort());
    expect(new Set(fromFiles.findings.map((f) => f.rule))).toEqual(new Set(auditRules.map((r) => r.id)));
  });

  it('ignores stages other than the final ones', () => {
    expect(run([ev({ verb: 'list', resource: 'secrets', stage: 'RequestReceived' })]).findings).toEqual([]);
  });
});
