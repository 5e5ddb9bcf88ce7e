import { readFile } from 'node:fs/promises';
import { parseAllDocuments, parse, stringify } from 'yaml';
import { loadConfig, validateConfig } from '../core/config/load.ts';
import { WatchkeeperError } from '../core/errors.ts';

/**
 * deploy/kubernetes: the Helm chart rendered with its default values (docs/install.md). The path is
 * the same from cli/ in a checkout and from dist/cli/ in the package (npm run build copies it to dist/deploy).
 */
const manifestsDir = new URL('../deploy/kubernetes/', import.meta.url);

/** The namespace, status port and prober prefix the checked-in manifests were rendered with. */
const rendered = { namespace: 'watchkeeper', port: 9464, proberPrefix: 'watchkeeper-probe' } as const;

interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
}

/**
 * The plain manifests with one watchkeeper configuration file embedded in every component's
 * ConfigMap, for users without Helm. It edits the chart's checked-in rendering rather than
 * rendering Go templates again: the only part that depends on the config is the ConfigMaps (plus
 * the server address and Lease that the manifests fix), and a template engine would be a second
 * implementation of the chart to keep in step. Settings the manifests fix are refused with the
 * Helm value that changes them.
 */
export async function renderManifests(configFile: string): Promise<string> {
  // loadConfig reports an unreadable, unparsable or invalid file as a config error (exit 2); the file
  // is embedded as written, so that defaults stay defaults in the cluster.
  const config = await loadConfig({ file: configFile });
  const raw: unknown = parse(await readFile(configFile, 'utf8')) ?? {};
  if (config.prober.namespacePrefix !== rendered.proberPrefix) {
    throw new WatchkeeperError(
      'config_invalid',
      `${configFile}: prober.namespacePrefix "${config.prober.namespacePrefix}" differs from the ` +
        `manifests' admission policy ("${rendered.proberPrefix}"); install with Helm (docs/install.md) to change it`,
    );
  }
  const file = structuredClone(raw) as Record<string, Record<string, unknown> | undefined>;
  file.server = { host: '0.0.0.0', port: rendered.port };
  const kustomization = parse(await readFile(new URL('kustomization.yaml', manifestsDir), 'utf8')) as {
    resources: string[];
  };
  const documents: string[] = [];
  for (const name of kustomization.resources) {
    for (const doc of parseAllDocuments(await readFile(new URL(name, manifestsDir), 'utf8'))) {
      const manifest = doc.toJS() as Manifest | null;
      if (!manifest) continue;
      if (manifest.kind === 'ConfigMap' && manifest.data?.['watchkeeper.yaml'] !== undefined) {
        manifest.data['watchkeeper.yaml'] = stringify(embedFor(manifest.metadata.name, file, configFile));
      }
      documents.push(stringify(manifest));
    }
  }
  return documents.map((d) => `---\n${d}`).join('');
}

/**
 * The config file as one component's ConfigMap holds it: the backup's Lease is the one RBAC allows, and the
 * collector shards (unless the file says not to) on the Leases RBAC and the admission policy allow. The
 * collector's version is validated again, since sharding adds a check (the shutdown budget).
 */
function embedFor(
  configMap: string,
  file: Record<string, Record<string, unknown> | undefined>,
  configFile: string,
): unknown {
  if (configMap === 'watchkeeper-backup')
    return {
      ...file,
      backup: { ...file.backup, leaderElection: { namespace: rendered.namespace, leaseName: 'watchkeeper-backup' } },
    };
  if (configMap !== 'watchkeeper-collector') return file;
  const sharding = { enabled: true, ...(file.metrics?.sharding as object | undefined) };
  const collector = {
    ...file,
    metrics: { ...file.metrics, sharding: { ...sharding, namespace: rendered.namespace, group: configMap } },
  };
  validateConfig(collector, `${configFile} (as the collector's, sharded)`);
  return collector;
}
