import { describeError } from '../../core/errors.ts';
import type { KubeClient } from '../../core/kube/client.ts';

/** One API resource the server serves, as discovery describes it. */
export interface ApiResource {
  /** API group; '' for the core group. */
  group: string;
  /** The group's preferred version. */
  version: string;
  /** Plural name, e.g. 'deployments'. */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

/** A group (or group version) discovery could not read, e.g. an aggregated API that is down. */
export interface DiscoveryFailure {
  group: string;
  version: string;
  reason: string;
}

/** What {@link discoverResources} found. */
export interface Discovery {
  /** Every resource that supports list and get, subresources left out, sorted by group then name. */
  resources: ApiResource[];
  /** Groups that could not be read: what they serve is missing from the backup. */
  failures: DiscoveryFailure[];
}

interface AggregatedList {
  kind?: string;
  items: {
    metadata: { name?: string };
    versions: {
      version: string;
      freshness?: string;
      resources: { resource: string; responseKind?: { kind?: string }; scope: string; verbs?: string[] }[];
    }[];
  }[];
}

/** Aggregated discovery (Kubernetes 1.30+): every group's resources in one answer per root. */
const aggregatedAccept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

interface GroupList {
  groups: { name: string; preferredVersion?: { version: string }; versions: { version: string }[] }[];
}
interface ResourceList {
  resources: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

/**
 * Reads discovery afresh (core group, then every group's preferred version, CRDs and aggregated
 * APIs included; aggregated discovery when the server offers it) and returns the resources that can be listed and read. Groups are read
 * `concurrency` at a time; a group that fails is reported, not thrown, so that one broken
 * aggregated API does not stop every backup.
 */
export async function discoverResources(
  client: KubeClient,
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<Discovery> {
  // Two requests instead of one per group (45 on a bare cluster): with a loaded API server that
  // was most of a small backup's time. Servers without it answer plain JSON: read group by group.
  const aggregated = await aggregatedDiscovery(client, options.signal);
  if (aggregated) return aggregated;
  const groups = await client.getJson<GroupList>('/apis', { signal: options.signal });
  const versions: { group: string; version: string }[] = [{ group: '', version: 'v1' }];
  for (const g of groups.groups) {
    const version = g.preferredVersion?.version ?? g.versions[0]?.version;
    if (version) versions.push({ group: g.name, version });
  }
  const resources: ApiResource[] = [];
  const failures: DiscoveryFailure[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < versions.length) {
      const { group, version } = versions[next++]!;
      const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
      try {
        const list = await client.getJson<ResourceList>(path, { signal: options.signal });
        for (const r of list.resources) {
          const verbs = r.verbs ?? [];
          if (r.name.includes('/') || !verbs.includes('list') || !verbs.includes('get')) continue;
          resources.push({ group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced, verbs });
        }
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failures.push({ group, version, reason: describeError(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, versions.length) }, worker));
  resources.sort((a, b) => a.group.localeCompare(b.group) || a.resource.localeCompare(b.resource));
  return { resources, failures };
}

async function aggregatedDiscovery(
  client: KubeClient,
  signal: AbortSignal | undefined,
): Promise<Discovery | undefined> {
  const resources: ApiResource[] = [];
  const failures: DiscoveryFailure[] = [];
  for (const root of ['/api', '/apis']) {
    const list = await client.getJson<AggregatedList>(root, { signal, headers: { accept: aggregatedAccept } });
    if (list.kind !== 'APIGroupDiscoveryList') return undefined;
    for (const group of list.items) {
      const name = group.metadata.name ?? '';
      const preferred = group.versions[0];
      if (!preferred) continue;
      if (preferred.freshness === 'Stale') {
        failures.push({
          group: name,
          version: preferred.version,
          reason: 'the aggregated API did not answer discovery (freshness Stale)',
        });
        continue;
      }
      for (const r of preferred.resources) {
        const verbs = r.verbs ?? [];
        if (!verbs.includes('list') || !verbs.includes('get')) continue;
        resources.push({
          group: name,
          version: preferred.version,
          resource: r.resource,
          kind: r.responseKind?.kind ?? '',
          namespaced: r.scope === 'Namespaced',
          verbs,
        });
      }
    }
  }
  resources.sort((a, b) => a.group.localeCompare(b.group) || a.resource.localeCompare(b.resource));
  return { resources, failures };
}

/** "resource" for the core group, "resource.group" otherwise (kubectl's spelling). */
export function qualifiedName(ref: { group: string; resource: string }): string {
  return ref.group === '' ? ref.resource : `${ref.resource}.${ref.group}`;
}

/** "v1" or "group/version", as in apiVersion. */
export function apiVersionOf(ref: { group: string; version: string }): string {
  return ref.group === '' ? ref.version : `${ref.group}/${ref.version}`;
}
