import diff from 'microdiff';

/** One changed field: its path (`spec.template.spec.containers[0].image`), old and new value. */
export interface FieldChange {
  path: string;
  op: 'set' | 'add' | 'remove';
  from?: unknown;
  to?: unknown;
}

/** Bookkeeping fields every write changes; they say nothing about what a user changed. */
const noise = new Set(['metadata.resourceVersion', 'metadata.generation', 'metadata.managedFields']);

function pathText(path: readonly (string | number)[]): string {
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text === '' ? part : `.${part}`;
  return text;
}

function isNoise(path: string): boolean {
  for (const n of noise) if (path === n || path.startsWith(`${n}.`) || path.startsWith(`${n}[`)) return true;
  return false;
}

/**
 * The fields that differ between two states of an object (microdiff: a deep JSON diff, small
 * and dependency-free), leaving out resourceVersion, generation and managedFields.
 */
export function diffObjects(before: unknown, after: unknown): FieldChange[] {
  if (typeof before !== 'object' || before === null || typeof after !== 'object' || after === null) {
    return before === after ? [] : [{ path: '', op: 'set', from: before, to: after }];
  }
  const changes: FieldChange[] = [];
  for (const d of diff(before as Record<string, unknown>, after as Record<string, unknown>)) {
    const path = pathText(d.path);
    if (isNoise(path)) continue;
    if (d.type === 'CHANGE') changes.push({ path, op: 'set', from: d.oldValue, to: d.value });
    else if (d.type === 'CREATE') changes.push({ path, op: 'add', to: d.value });
    else changes.push({ path, op: 'remove', from: d.oldValue });
  }
  return changes;
}

/**
 * The fields a patch body sets: the leaves of a merge or strategic-merge patch (null means
 * removed), or the operations of a JSON patch.
 */
export function patchFields(patch: unknown): FieldChange[] {
  if (Array.isArray(patch)) {
    return patch
      .filter(
        (op): op is { op: string; path: string; value?: unknown } =>
          typeof op === 'object' && op !== null && 'path' in op,
      )
      .map((op) =>
        op.op === 'remove'
          ? { path: jsonPointerPath(op.path), op: 'remove' }
          : { path: jsonPointerPath(op.path), op: 'set', to: op.value },
      );
  }
  const changes: FieldChange[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : `${path}.${key}`);
      return;
    }
    if (!isNoise(path)) changes.push(value === null ? { path, op: 'remove' } : { path, op: 'set', to: value });
  };
  walk(patch, '');
  return changes;
}

function jsonPointerPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((text, part) => (/^\d+$/.test(part) ? `${text}[${part}]` : text === '' ? part : `${text}.${part}`), '');
}

/** A short text of a change: `spec.replicas: 3 -> 10`. */
export function changeText(change: FieldChange): string {
  const show = (v: unknown): string => {
    const text = JSON.stringify(v) ?? 'undefined';
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  };
  if (change.op === 'remove') return `${change.path} removed`;
  if (change.from === undefined) return `${change.path} = ${show(change.to)}`;
  return `${change.path}: ${show(change.from)} -> ${show(change.to)}`;
}
