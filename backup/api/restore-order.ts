import { qualifiedName } from './discovery.ts';

/**
 * The levels of a restore, applied one after the other (objects within a level in parallel):
 * what others depend on first. Custom objects land in the last level, after their CRDs (level 0,
 * which the restore waits on until each CRD is Established).
 */
export const restoreLevels: readonly { name: string; resources: readonly string[] }[] = [
  { name: 'custom resource definitions', resources: ['customresourcedefinitions.apiextensions.k8s.io'] },
  { name: 'namespaces', resources: ['namespaces'] },
  {
    name: 'storage and priority classes',
    resources: ['storageclasses.storage.k8s.io', 'priorityclasses.scheduling.k8s.io'],
  },
  { name: 'persistent volumes', resources: ['persistentvolumes'] },
  { name: 'persistent volume claims', resources: ['persistentvolumeclaims'] },
  { name: 'service accounts', resources: ['serviceaccounts'] },
  { name: 'roles', resources: ['clusterroles.rbac.authorization.k8s.io', 'roles.rbac.authorization.k8s.io'] },
  {
    name: 'role bindings',
    resources: ['clusterrolebindings.rbac.authorization.k8s.io', 'rolebindings.rbac.authorization.k8s.io'],
  },
  { name: 'configuration', resources: ['secrets', 'configmaps', 'limitranges', 'resourcequotas'] },
  { name: 'services', resources: ['services'] },
  {
    name: 'workloads',
    resources: [
      'deployments.apps',
      'statefulsets.apps',
      'daemonsets.apps',
      'replicasets.apps',
      'replicationcontrollers',
      'pods',
      'jobs.batch',
      'cronjobs.batch',
    ],
  },
  { name: 'everything else', resources: [] },
];

const levelOf = new Map(restoreLevels.flatMap((level, i) => level.resources.map((r) => [r, i] as const)));

/** The level (index into {@link restoreLevels}) of a resource; anything unlisted, custom objects included, goes last. */
export function restoreLevel(ref: { group: string; resource: string }): number {
  return levelOf.get(qualifiedName(ref)) ?? restoreLevels.length - 1;
}
