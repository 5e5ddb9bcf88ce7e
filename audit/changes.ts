import type { AuditDocument } from '../core/audit-documents.ts';
import { diffObjects, patchFields, type FieldChange } from './diff.ts';
import { missingBodyNote } from './levels.ts';

/** What one write changed, and how sure that is. */
export interface ChangeInfo {
  /** previous-state: a diff against the last known object; request-body: what the request set. */
  basis: 'previous-state' | 'request-body' | 'none';
  changes: FieldChange[];
  /** Why there is no (full) diff, e.g. the audit level that would have recorded it. */
  note?: string;
}

function objectKey(event: AuditDocument): string {
  const ref = event.objectRef ?? {};
  return `${ref.apiGroup ?? ''}/${ref.resource ?? ''}/${ref.namespace ?? ''}/${ref.name ?? ''}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** spec.replicas of a Scale or workload object. */
function replicasOf(value: unknown): unknown {
  return isObject(value) && isObject(value.spec) ? value.spec.replicas : undefined;
}

/**
 * Follows objects through their writes in time order and tells what each write changed: a diff
 * of the object after the write (the response, or the request of an update) against the last
 * known state; without a known state, the fields the request set; without bodies, a note naming
 * the audit level that would have recorded them. Holds one object per key it has seen.
 */
export class ChangeTracker {
  private readonly state = new Map<string, unknown>();

  /** Feeds one event (in time order) and returns what it changed; reads and failed requests change nothing. */
  apply(event: AuditDocument): ChangeInfo {
    const verb = event.verb ?? '';
    const code = event.responseStatus?.code ?? 0;
    const sub = event.objectRef?.subresource ?? '';
    const key = objectKey(event);
    if (code >= 300 || !['create', 'update', 'patch', 'delete'].includes(verb)) {
      return { basis: 'none', changes: [], ...(code >= 300 ? { note: `not applied: HTTP ${code}` } : {}) };
    }
    if (verb === 'delete') {
      this.state.delete(key);
      return { basis: 'none', changes: [] };
    }
    const request = event.requestObject;
    const response = event.responseObject;
    if (verb === 'create' && sub === '') {
      const created = isObject(response) ? response : request;
      if (isObject(created)) this.state.set(key, created);
      return { basis: 'none', changes: [] };
    }
    const previous = this.state.get(key);
    if (sub === 'scale') return this.scale(key, event, previous);
    if (sub !== '' && sub !== 'status') return { basis: 'none', changes: [] };
    const after =
      isObject(response) && response.kind !== 'Status'
        ? response
        : verb === 'update' && isObject(request)
          ? request
          : undefined;
    if (after !== undefined) {
      this.state.set(key, after);
      if (previous !== undefined) return { basis: 'previous-state', changes: diffObjects(previous, after) };
    } else {
      // The object after a patch is unknown, so a later diff against the old state would mislead.
      this.state.delete(key);
    }
    if (request !== undefined && verb === 'patch')
      return {
        basis: 'request-body',
        changes: patchFields(request),
        note: 'previous state unknown: fields the patch set',
      };
    if (request !== undefined)
      return {
        basis: 'request-body',
        changes: [],
        note: 'previous state unknown (before the time range, or not recorded)',
      };
    return { basis: 'none', changes: [], note: missingBodyNote(event, 'requestObject') };
  }

  private scale(key: string, event: AuditDocument, previous: unknown): ChangeInfo {
    const wanted = replicasOf(event.requestObject) ?? replicasOf(event.responseObject);
    if (wanted === undefined) return { basis: 'none', changes: [], note: missingBodyNote(event, 'requestObject') };
    const before = replicasOf(previous);
    if (isObject(previous) && isObject(previous.spec))
      this.state.set(key, { ...previous, spec: { ...previous.spec, replicas: wanted } });
    return before === undefined
      ? {
          basis: 'request-body',
          changes: [{ path: 'spec.replicas', op: 'set', to: wanted }],
          note: 'previous state unknown: the replicas asked for',
        }
      : { basis: 'previous-state', changes: [{ path: 'spec.replicas', op: 'set', from: before, to: wanted }] };
  }
}
