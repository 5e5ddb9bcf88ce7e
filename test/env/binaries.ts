import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Root of the cache that test/env/provision.sh builds into. */
export const cacheDir = process.env.WATCHKEEPER_CACHE ?? join(homedir(), '.cache', 'watchkeeper');

/** Pinned versions of the servers built from Go modules, as in provision.sh. */
const tools = {
  etcd: { version: 'v3.6.16', binaries: ['etcd', 'etcdctl', 'etcdutl'] },
  kubernetes: { version: 'v1.35.4', binaries: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] },
  kwok: { version: 'v0.7.0', binaries: ['kwok'] },
  minio: { version: 'v2026-02-12', binaries: ['minio'] },
  helm: { version: 'v3.22.0', binaries: ['helm'] },
  influxdb: { version: 'v1.8.10', binaries: ['influxd'] },
  vmagent: { version: 'v1.151.0', binaries: ['vmagent'] },
} as const;

/** A Go-built tool of the test environment. */
export type ToolName = keyof typeof tools;

/** Directory holding the built binaries of a tool; throws a clear error when it is not built. */
export function toolDir(tool: ToolName): string {
  const { version, binaries } = tools[tool];
  const prefix = `${tool}-${version}-`;
  const root = join(cacheDir, 'bin');
  const candidates = existsSync(root)
    ? readdirSync(root)
        .filter(
          (name) => name.startsWith(prefix) && !name.endsWith('.tmp') && existsSync(join(root, name, '.complete')),
        )
        .map((name) => join(root, name))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  if (candidates.length === 0) {
    throw new Error(
      `${binaries.join(', ')} ${version} not built: run \`npm run provision -- ${tool}\` (builds into ${root})`,
    );
  }
  return candidates[0]!;
}

/** Full path of one built binary, e.g. toolBinary('kubernetes', 'kube-apiserver'). */
export function toolBinary(tool: ToolName, binary: string): string {
  return join(toolDir(tool), binary);
}

/** Full path of a binary installed from a Debian package; throws a clear error when absent. */
export function debianBinary(path: string, pkg: string): string {
  if (!existsSync(path))
    throw new Error(`${path} not found: run \`npm run provision\` (installs Debian package ${pkg})`);
  return path;
}
