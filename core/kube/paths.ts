/** Identifies one kind of API resource, e.g. `{ group: 'apps', version: 'v1', resource: 'deployments' }`. */
export interface ResourceRef {
  /** API group; '' (or absent) for the core group served under /api. */
  group?: string;
  version: string;
  /** Plural lower-case resource name, e.g. 'pods'. */
  resource: string;
}

/** Builds the URL path of a collection or one object, namespaced when `namespace` is given. */
export function resourcePath(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  let path = base;
  if (namespace !== undefined) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${ref.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/** Common resources, so callers do not spell group/version by hand. */
export const resources = {
  namespaces: { version: 'v1', resource: 'namespaces' },
  pods: { version: 'v1', resource: 'pods' },
  services: { version: 'v1', resource: 'services' },
  configMaps: { version: 'v1', resource: 'configmaps' },
  secrets: { version: 'v1', resource: 'secrets' },
  nodes: { version: 'v1', resource: 'nodes' },
  events: { version: 'v1', resource: 'events' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  replicaSets: { group: 'apps', version: 'v1', resource: 'replicasets' },
  endpointSlices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
  selfSubjectAccessReviews: { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews' },
} as const satisfies Record<string, ResourceRef>;
