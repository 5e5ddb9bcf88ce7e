import { describe, expect, it } from 'vitest';
import { entryPath, parseEntryPath } from '../../../backup/api/entry-path.ts';
import { restoreLevel, restoreLevels } from '../../../backup/api/restore-order.ts';
import { parseNamespaceMap, prepareForRestore } from '../../../backup/api/transform.ts';
import { notRestorableReason } from '../../../backup/api/policy.ts';

const base = {
  namespaceMap: new Map<string, string>(),
  backupId: '20260425T101500Z-manual-beef',
  restoreId: '20260426T000000Z-restore-0001',
  keepManagedFields: false,
  keepStatus: false,
  ownerUid: () => undefined,
};

describe('archive entry paths', () => {
  it('round-trips namespaced and cluster-scoped objects, core group as "core"', () => {
    const a = { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'prod', name: 'web' };
    const b = { group: '', version: 'v1', resource: 'namespaces', namespace: undefined, name: 'prod' };
    expect(entryPath(a)).toBe('resources/apps/v1/deployments/namespaces/prod/web.json');
    expect(entryPath(b)).toBe('resources/core/v1/namespaces/cluster/prod.json');
    expect(parseEntryPath(entryPath(a))).toEqual(a);
    expect(parseEntryPath(entryPath(b))).toEqual(b);
    expect(
      parseEntryPath('resources/rbac.authorization.k8s.io/v1/clusterroles/cluster/system:aggregate-to-edit.json').name,
    ).toBe('system:aggregate-to-edit');
  });

  it.each([
    '../etc/passwd',
    '/resources/core/v1/configmaps/namespaces/a/b.json',
    'resources/core/v1/configmaps/namespaces/../../../../x.json',
    'resources/core/v1/configmaps/namespaces/a/b/c.json',
    'resources/core/v1/configmaps/namespaces/a/..json',
    'resources/core/v1/configmaps/cluster/b.txt',
    'resources/core/v1/configmaps/elsewhere/b.json',
    'other/core/v1/configmaps/cluster/b.json',
    'resources/core/v1/configmaps/namespaces/a\\..\\b/c.json',
  ])('refuses %s', (path) => {
    expect(() => parseEntryPath(path)).toThrow('outside the object layout');
  });
});

describe('restore order', () => {
  it('puts what others depend on first and custom objects last', () => {
    const order = [
      'customresourcedefinitions.apiextensions.k8s.io',
      'namespaces',
      'persistentvolumes',
      'persistentvolumeclaims',
      'serviceaccounts',
      'roles.rbac.authorization.k8s.io',
      'rolebindings.rbac.authorization.k8s.io',
      'configmaps',
      'services',
      'deployments.apps',
      'widgets.example.com',
    ].map((q) => {
      const [resource, ...g] = q.split('.');
      return restoreLevel({ resource: resource!, group: g.join('.') });
    });
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(order.length);
    expect(order.at(-1)).toBe(restoreLevels.length - 1);
  });
});

describe('prepareForRestore', () => {
  it('strips what the server owns and labels the object with both ids', () => {
    const { object } = prepareForRestore(
      { group: 'apps', resource: 'deployments' },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: 'web',
          namespace: 'prod',
          uid: 'u1',
          resourceVersion: '5',
          generation: 3,
          creationTimestamp: 'x',
          managedFields: [{}],
          selfLink: '/x',
          labels: { app: 'web' },
        } as never,
        spec: { replicas: 2 },
        status: { readyReplicas: 2 },
      },
      base,
    );
    expect(object).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: { replicas: 2 },
      metadata: {
        name: 'web',
        namespace: 'prod',
        labels: { app: 'web', 'watchkeeper.io/backup-id': base.backupId, 'watchkeeper.io/restore-id': base.restoreId },
      },
    });
  });

  it('maps namespaces into objects, binding subjects and PV claims, and keeps only owners restored before', () => {
    const namespaceMap = new Map([['prod', 'prod-restored']]);
    const options = {
      ...base,
      namespaceMap,
      ownerUid: (uid: string) => (uid === 'owner-old' ? 'owner-new' : undefined),
    };
    const binding = prepareForRestore(
      { group: 'rbac.authorization.k8s.io', resource: 'rolebindings' },
      {
        metadata: {
          name: 'b',
          namespace: 'prod',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'X', name: 'o', uid: 'owner-old' },
            { apiVersion: 'v1', kind: 'Y', name: 'gone', uid: 'other' },
          ],
        },
        subjects: [
          { kind: 'ServiceAccount', name: 'sa', namespace: 'prod' },
          { kind: 'ServiceAccount', name: 'sa', namespace: 'other' },
        ],
      },
      options,
    );
    expect(binding.object.metadata.namespace).toBe('prod-restored');
    expect(binding.object.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'sa', namespace: 'prod-restored' },
      { kind: 'ServiceAccount', name: 'sa', namespace: 'other' },
    ]);
    expect(binding.object.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'X', name: 'o', uid: 'owner-new' },
    ]);
    expect(binding.droppedOwners).toBe(1);
    const pv = prepareForRestore(
      { group: '', resource: 'persistentvolumes' },
      {
        metadata: { name: 'pv1' },
        spec: { claimRef: { namespace: 'prod', name: 'data', uid: 'old', resourceVersion: '9' } },
      },
      options,
    );
    expect(pv.object.spec).toEqual({ claimRef: { namespace: 'prod-restored', name: 'data' } });
    const pvc = prepareForRestore(
      { group: '', resource: 'persistentvolumeclaims' },
      {
        metadata: {
          name: 'data',
          namespace: 'prod',
          annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' },
        },
        spec: { volumeName: 'pv1' },
      },
      options,
    );
    expect(pvc.object.metadata.annotations).toEqual({ 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(pvc.object.spec).toEqual({ volumeName: 'pv1' });
    const ns = prepareForRestore({ group: '', resource: 'namespaces' }, { metadata: { name: 'prod' } }, options);
    expect(ns.object.metadata.name).toBe('prod-restored');
  });

  it('lets the cluster allocate Service IPs and Job selectors again', () => {
    const svc = prepareForRestore(
      { group: '', resource: 'services' },
      {
        metadata: { name: 's', namespace: 'a' },
        spec: { clusterIP: '10.96.0.7', clusterIPs: ['10.96.0.7'], ports: [] },
      },
      base,
    );
    expect(svc.object.spec).toEqual({ ports: [] });
    const headless = prepareForRestore(
      { group: '', resource: 'services' },
      { metadata: { name: 's', namespace: 'a' }, spec: { clusterIP: 'None' } },
      base,
    );
    expect(headless.object.spec).toEqual({ clusterIP: 'None' });
    const job = prepareForRestore(
      { group: 'batch', resource: 'jobs' },
      {
        metadata: { name: 'j', namespace: 'a', labels: { 'controller-uid': 'u', 'job-name': 'j' } },
        spec: {
          selector: { matchLabels: { 'controller-uid': 'u' } },
          template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'u', 'job-name': 'j' } } },
        },
      },
      base,
    );
    expect(job.object.spec).toEqual({ template: { metadata: { labels: { 'job-name': 'j' } } } });
  });

  it('parses --namespace-map and refuses malformed pairs', () => {
    expect(parseNamespaceMap(['a:b', 'c:d'])).toEqual(
      new Map([
        ['a', 'b'],
        ['c', 'd'],
      ]),
    );
    expect(() => parseNamespaceMap(['a'])).toThrow('expected old:new');
    expect(() => parseNamespaceMap(['a:B'])).toThrow('expected old:new');
    expect(() => parseNamespaceMap(['a:b', 'a:c'])).toThrow('mapped twice');
  });
});

describe('objects recorded but never restored', () => {
  it.each([
    [{ group: '', resource: 'nodes' }, 'n1', undefined, {}],
    [{ group: 'coordination.k8s.io', resource: 'leases' }, 'l', 'a', {}],
    [{ group: 'discovery.k8s.io', resource: 'endpointslices' }, 'e', 'a', {}],
    [{ group: '', resource: 'endpoints' }, 'e', 'a', {}],
    [{ group: '', resource: 'services' }, 'kubernetes', 'default', {}],
    [{ group: '', resource: 'configmaps' }, 'kube-root-ca.crt', 'a', {}],
    [
      { group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
      'admin',
      undefined,
      { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
    ],
  ])('%j %s', (ref, name, namespace, labels) => {
    expect(notRestorableReason(ref, { metadata: { name, ...(namespace ? { namespace } : {}), labels } })).toMatch(/./);
  });

  it('restores ordinary objects', () => {
    expect(
      notRestorableReason({ group: '', resource: 'configmaps' }, { metadata: { name: 'app', namespace: 'a' } }),
    ).toBeUndefined();
    expect(
      notRestorableReason({ group: '', resource: 'services' }, { metadata: { name: 'kubernetes', namespace: 'prod' } }),
    ).toBeUndefined();
  });
});
