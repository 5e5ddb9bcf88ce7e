import type { Manifest } from '../manifest.ts';
import { formatTable } from '../../core/table.ts';
import { formatManifest } from '../report.ts';
import { qualifiedName } from './discovery.ts';

/** `backups describe` of an API backup: the common manifest, then what it holds per resource and namespace. */
export function formatApiManifest(manifest: Manifest): string {
  const api = manifest.api;
  if (!api) return formatManifest(manifest);
  const s = api.selection;
  const lines = [
    formatManifest(manifest).trimEnd(),
    '',
    `Cluster version: ${api.clusterVersion}, server time ${api.serverTime}`,
    `Selectors:       ${s.selectors.length === 0 ? '(all objects)' : s.selectors.map((x) => `"${x}"`).join(' OR ')}`,
    `Namespaces:      include ${s.includeNamespaces.join(',') || '*'}; exclude ${s.excludeNamespaces.join(',') || '-'}`,
    `Resources:       include ${s.includeResources.join(',') || '*'}; exclude ${s.excludeResources.join(',') || '-'}; cluster-scoped: ${s.clusterResources}`,
    `Objects:         ${api.objectCount}${api.secretsIncluded ? ' (Secrets included)' : ''}`,
  ];
  if (api.secretsIncluded && manifest.objects.some((o) => o.encryption === null))
    lines.push('WARNING: this backup holds Secrets and is not encrypted.');
  for (const m of api.missing) lines.push(`MISSING: ${m.what}: ${m.reason}`);
  const rows: string[][] = [];
  for (const r of api.resources) {
    if (r.count === 0) continue;
    if (!r.namespaced) rows.push([qualifiedName(r), '(cluster)', String(r.count), r.resourceVersion]);
    else
      for (const [ns, n] of Object.entries(r.namespaces).sort(([a], [b]) => a.localeCompare(b)))
        rows.push([qualifiedName(r), ns, String(n), r.resourceVersion]);
  }
  lines.push('', formatTable(['RESOURCE', 'NAMESPACE', 'OBJECTS', 'LIST RESOURCEVERSION'], rows).trimEnd());
  return `${lines.join('\n')}\n`;
}
