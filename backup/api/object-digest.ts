import { createHash } from 'node:crypto';
import type { KubeObject } from '../../core/kube/types.ts';
import { backupIdLabel, restoreIdLabel } from './policy.ts';

/**
 * The sha256 of what a user set on an object: everything but the fields the server owns (uid,
 * resourceVersion, generation, timestamps, managedFields, status) and the labels a restore adds,
 * with keys sorted. Equal digests mean "not changed" for `backups diff`.
 */
export function objectDigest(object: KubeObject): string {
  const copy = structuredClone(object) as Record<string, unknown> & KubeObject;
  delete copy.status;
  const meta = copy.metadata as Record<string, unknown> & KubeObject['metadata'];
  for (const field of [
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'managedFields',
    'selfLink',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'ownerReferences',
  ])
    delete meta[field];
  if (meta.labels) {
    delete meta.labels[backupIdLabel];
    delete meta.labels[restoreIdLabel];
    if (Object.keys(meta.labels).length === 0) delete meta.labels;
  }
  return createHash('sha256').update(canonical(copy)).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
