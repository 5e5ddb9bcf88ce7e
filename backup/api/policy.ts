import type { KubeObject } from '../../core/kube/types.ts';
import { qualifiedName } from './discovery.ts';

/** Label that keeps an object out of every API backup, whatever the selectors say. */
export const excludeLabel = 'watchkeeper.io/exclude-from-backup';
/** Label set on restored objects: the backup they came from. */
export const backupIdLabel = 'watchkeeper.io/backup-id';
/** Label set on restored objects: the restore that wrote them. */
export const restoreIdLabel = 'watchkeeper.io/restore-id';

/** Resources never backed up: they describe what happened, not what should exist. */
const neverBackedUp = new Set(['events', 'events.events.k8s.io', 'componentstatuses']);

/**
 * Resources recorded in a backup but never restored: the cluster makes them itself (nodes
 * register, Endpoints follow Services, leases are renewed by their holders).
 */
const recordedOnly = new Map<string, string>([
  ['nodes', 'nodes register themselves'],
  ['leases.coordination.k8s.io', 'leases belong to their running holders'],
  ['endpoints', 'the endpoints controller derives Endpoints from Services'],
  ['endpointslices.discovery.k8s.io', 'the EndpointSlice controller derives them from Services'],
  ['tokenreviews.authentication.k8s.io', 'a request, not an object'],
]);

/** Namespaces the API server creates itself. */
const systemNamespaces = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** True when a resource is never backed up (events). */
export function isNeverBackedUp(ref: { group: string; resource: string }): boolean {
  return neverBackedUp.has(qualifiedName(ref));
}

/**
 * Why an object is recorded but not restored (the cluster or the API server owns it), or
 * undefined when it may be restored.
 */
export function notRestorableReason(ref: { group: string; resource: string }, object: KubeObject): string | undefined {
  const name = qualifiedName(ref);
  const byResource = recordedOnly.get(name);
  if (byResource) return byResource;
  const { labels = {}, annotations = {}, namespace } = object.metadata;
  const objectName = object.metadata.name ?? '';
  if (name === 'namespaces' && systemNamespaces.has(objectName)) return 'the API server creates this namespace';
  if (name === 'services' && namespace === 'default' && objectName === 'kubernetes')
    return 'the API server owns the kubernetes Service';
  if (
    name === 'configmaps' &&
    (objectName === 'kube-root-ca.crt' ||
      (namespace === 'kube-system' && objectName === 'extension-apiserver-authentication'))
  ) {
    return 'the control plane writes this ConfigMap';
  }
  if (labels['kubernetes.io/bootstrapping'] === 'rbac-defaults')
    return 'a default RBAC object the API server reconciles';
  if (labels['kube-aggregator.kubernetes.io/automanaged'] !== undefined) return 'an APIService the API server manages';
  if (annotations['apf.kubernetes.io/autoupdate-spec'] === 'true')
    return 'an API priority and fairness default the API server maintains';
  if (name === 'priorityclasses.scheduling.k8s.io' && objectName.startsWith('system-'))
    return 'a built-in PriorityClass';
  return undefined;
}
