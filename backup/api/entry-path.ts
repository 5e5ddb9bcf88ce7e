import { WatchkeeperError } from '../../core/errors.ts';

/** Where one object sits in an API backup archive. */
export interface EntryRef {
  /** API group; '' for the core group (written as "core"). */
  group: string;
  version: string;
  resource: string;
  /** Namespace, or undefined for a cluster-scoped object. */
  namespace: string | undefined;
  name: string;
}

// A path segment: what Kubernetes allows in names (RBAC names hold ":" and "@"), never "." or "..".
const segment = /^[A-Za-z0-9._:@+~-]{1,253}$/;

/**
 * The archive path of one object:
 * `resources/<group>/<version>/<resource>/namespaces/<ns>/<name>.json` or
 * `resources/<group>/<version>/<resource>/cluster/<name>.json` (group "core" for the core group).
 */
export function entryPath(ref: EntryRef): string {
  for (const part of [
    ref.group === '' ? 'core' : ref.group,
    ref.version,
    ref.resource,
    ref.name,
    ...(ref.namespace === undefined ? [] : [ref.namespace]),
  ]) {
    if (!isSafeSegment(part))
      throw new WatchkeeperError('failed', `cannot store an object named "${part}" in an archive path`);
  }
  const base = `resources/${ref.group === '' ? 'core' : ref.group}/${ref.version}/${ref.resource}`;
  return ref.namespace === undefined
    ? `${base}/cluster/${ref.name}.json`
    : `${base}/namespaces/${ref.namespace}/${ref.name}.json`;
}

/**
 * Parses an archive path back; throws an integrity error for anything that is not exactly an
 * object path (absolute paths, "..", extra or missing segments), so nothing outside the layout is read.
 */
export function parseEntryPath(path: string): EntryRef {
  const parts = path.split('/');
  const fail = (): never => {
    throw new WatchkeeperError(
      'integrity',
      `the archive holds an entry outside the object layout: "${path.slice(0, 200)}"`,
    );
  };
  if (parts[0] !== 'resources' || !parts.slice(0, -1).every(isSafeSegment)) fail();
  const last = parts[parts.length - 1]!;
  if (!last.endsWith('.json')) fail();
  const name = last.slice(0, -'.json'.length);
  if (!isSafeSegment(name)) fail();
  const [, group, version, resource, scope] = parts;
  if (parts.length === 7 && scope === 'namespaces') {
    return {
      group: group === 'core' ? '' : group!,
      version: version!,
      resource: resource!,
      namespace: parts[5]!,
      name,
    };
  }
  if (parts.length === 6 && scope === 'cluster')
    return {
      group: group === 'core' ? '' : group!,
      version: version!,
      resource: resource!,
      namespace: undefined,
      name,
    };
  return fail();
}

function isSafeSegment(part: string): boolean {
  return segment.test(part) && part !== '.' && part !== '..';
}
