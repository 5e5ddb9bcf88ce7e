import type { AuditDocument } from '../core/audit-documents.ts';

/**
 * A set of audit events, described so that it can be matched in memory and translated into an
 * Elasticsearch query alike. Every given field must match; lists match any of their values.
 */
export interface Selector {
  /** audit verbs, e.g. create, patch, get. */
  verbs?: readonly string[];
  /** objectRef.resource values (plural, without group), e.g. pods. */
  resources?: readonly string[];
  /** objectRef.subresource values; '' means the object itself (no subresource). */
  subresources?: readonly string[];
  /** objectRef.apiGroup values; '' is the core group. */
  apiGroups?: readonly string[];
  namespace?: string;
  name?: string;
  /** user.username or impersonatedUser.username. */
  user?: string;
  /** user.groups contains this group. */
  group?: string;
  /** Only events with an impersonatedUser. */
  impersonated?: boolean;
  /** responseStatus.code at least this. */
  minCode?: number;
  /** responseStatus.code at most this. */
  maxCode?: number;
}

/** Events in [since, until) matching any of the selectors (all events in range when there are none). */
export interface AuditQuery {
  since: Date;
  until: Date;
  any: readonly Selector[];
}

/** Stages that describe a finished request: the only ones the questions look at. */
export const finalStages: readonly string[] = ['ResponseComplete', 'Panic'];

/** The event's time in milliseconds (its @timestamp, else stageTimestamp), NaN when it has none. */
export function eventTimeMs(event: AuditDocument): number {
  return Date.parse(event['@timestamp'] ?? event.stageTimestamp ?? '');
}

function inList(list: readonly string[] | undefined, value: string): boolean {
  return list === undefined || list.includes(value);
}

/** True when an event matches one selector. */
export function matchesSelector(event: AuditDocument, s: Selector): boolean {
  const ref = event.objectRef ?? {};
  const code = event.responseStatus?.code ?? 0;
  return inList(s.verbs, event.verb ?? '')
    && inList(s.resources, ref.resource ?? '')
    && inList(s.subresources, ref.subresource ?? '')
    && inList(s.apiGroups, ref.apiGroup ?? '')
    && (s.namespace === undefined || ref.namespace === s.namespace)
    && (s.name === undefined || ref.name === s.name)
    && (s.user === undefined || event.user?.username === s.user || event.impersonatedUser?.username === s.user)
    && (s.group === undefined || (event.user?.groups ?? []).includes(s.group))
    && (s.impersonated !== true || event.impersonatedUser?.username !== undefined)
    && (s.minCode === undefined || code >= s.minCode)
    && (s.maxCode === undefined || code <= s.maxCode);
}

/** True when an event is final, inside the query's time range and matches one of its selectors. */
export function matchesQuery(event: AuditDocument, query: AuditQuery): boolean {
  if (!finalStages.includes(event.stage ?? '')) return false;
  const time = eventTimeMs(event);
  if (!(time >= query.since.getTime() && time < query.until.getTime())) return false;
  return query.any.length === 0 || query.any.some((s) => matchesSelector(event, s));
}

/**
 * Strings (JSON-quoted) of which a matching document's text must contain at least one: a cheap
 * test before parsing a line. Undefined when no such test is possible (then every line is parsed).
 */
export function requiredSubstrings(query: AuditQuery): string[] | undefined {
  const needles: string[] = [];
  for (const s of query.any) {
    const value = s.name ?? s.user ?? s.group ?? (s.resources?.length === 1 ? s.resources[0] : undefined);
    if (value !== undefined) {
      // Only plain values: an escaped form in the document would not contain the raw string.
      if (!/^[\x20-\x7e]*$/.test(value) || /["\\]/.test(value)) return undefined;
      needles.push(JSON.stringify(value));
    } else if (s.resources !== undefined && s.resources.length > 1) {
      needles.push(...s.resources.map((r) => `"${r}"`));
    } else if (s.impersonated === true) {
      needles.push('"impersonatedUser"');
    } else if (s.minCode !== undefined && s.maxCode !== undefined && s.maxCode - s.minCode <= 10) {
      // Plain digits: found whatever the spacing of the JSON around them.
      for (let code = s.minCode; code <= s.maxCode; code++) needles.push(String(code));
    } else {
      return undefined;
    }
  }
  return needles.length > 0 ? needles : undefined;
}
