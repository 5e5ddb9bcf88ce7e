import type { KubeObject } from '../../core/kube/types.ts';
import { qualifiedName } from './discovery.ts';

/** Cluster-scoped resources that a backup in 'referenced' mode stores when selected objects name them. */
export const referencedKinds: ReadonlySet<string> = new Set([
  'namespaces',
  'persistentvolumes',
  'clusterroles.rbac.authorization.k8s.io',
  'customresourcedefinitions.apiextensions.k8s.io',
]);

/**
 * The cluster-scoped objects that selected objects use: the namespaces they live in, the PVs of
 * PVCs, the ClusterRoles of bindings, the CRDs of custom objects. Holds names only (one per
 * referenced object, not per selected object).
 */
export class References {
  private readonly names = new Map<string, Set<string>>();

  /** Records what `object` (of `resource`) references. */
  collect(
    resource: { group: string; resource: string },
    object: KubeObject,
    mode: 'none' | 'all' | 'referenced',
  ): void {
    if (mode === 'none') return;
    const kind = qualifiedName(resource);
    if (object.metadata.namespace) this.add('namespaces', object.metadata.namespace);
    const spec = object.spec as Record<string, unknown> | undefined;
    if (kind === 'persistentvolumeclaims' && typeof spec?.volumeName === 'string' && spec.volumeName !== '') {
      this.add('persistentvolumes', spec.volumeName);
    }
    if (kind === 'rolebindings.rbac.authorization.k8s.io' || kind === 'clusterrolebindings.rbac.authorization.k8s.io') {
      const roleRef = object.roleRef as { kind?: string; name?: string } | undefined;
      if (roleRef?.kind === 'ClusterRole' && roleRef.name)
        this.add('clusterroles.rbac.authorization.k8s.io', roleRef.name);
    }
    // Custom objects live in groups with a dot; a CRD is named <plural>.<group>. Names that are no CRD never match.
    if (resource.group.includes('.'))
      this.add('customresourcedefinitions.apiextensions.k8s.io', `${resource.resource}.${resource.group}`);
  }

  /** True when a selected object referenced this cluster object. */
  has(resource: { group: string; resource: string }, name: string): boolean {
    return this.names.get(qualifiedName(resource))?.has(name) ?? false;
  }

  private add(kind: string, name: string): void {
    let set = this.names.get(kind);
    if (!set) this.names.set(kind, (set = new Set()));
    set.add(name);
  }
}
