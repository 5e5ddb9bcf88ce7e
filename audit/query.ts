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
  return (
    inList(s.verbs, event.verb ?? '') &&
    inList(s.resources, ref.resource ?? '') &&
    inList(s.subresources, ref.subresource ?? '') &&
    inList(s.apiGroups, ref.apiGroup ?? '') &&
    (s.namespace === undefined || ref.namespace === s.namespace) &&
    (s.name === undefined || ref.name === s.name) &&
    (s.user === undefined || event.user?.username === s.user || event.impersonatedUser?.username === s.user) &&
    (s.group === undefined || (event.user?.groups ?? []).includes(s.group)) &&
    (s.impersonated !== true || event.impersonatedUser?.username !== undefined) &&
    (s.minCode === undefined || code >= s.minCode) &&
    (s.maxCode === undefined || code <= s.maxCode)
  );
}

/** True when an event is final, inside the query's time range and matches one of its selectors. */
export function matchesQuery(event: AuditDocument, query: AuditQuery): boolean {
  if (!finalStages.includes(event.stage ?? '')) return false;
  const time = eventTimeMs(event);
  if (!(time >= query.since.getTime() && time < query.until.getTime())) return false;
  return query.any.length === 0 || query.any.some((s) => matchesSelector(event, s));
}

/**
 * A cheap test on a stored line before it is parsed: for each selector, groups of strings of
 * which the line must contain one per group (the first group is the rarest, for finding
 * candidate lines). A line that fails every selector's test cannot match the query. The strings
 * are `"field":value` as compact JSON writes them (the shipper's JSON.stringify, like the API
 * server's own encoder): long strings make the byte search fast and the test selective.
 */
export type Prefilter = string[][][];

/** `"key":"value"` for plain values; undefined when JSON would escape a character of the value. */
function keyed(key: string, values: readonly string[]): string[] | undefined {
  if (!values.every((v) => /^[\x20-\x7e]*$/.test(v) && !/["\\]/.test(v))) return undefined;
  return values.map((v) => `"${key}":${JSON.stringify(v)}`);
}

/** The prefilter of a query, or undefined when some selector offers no string to look for (every line is parsed). */
export function prefilterOf(query: AuditQuery): Prefilter | undefined {
  if (query.any.length === 0) return undefined;
  const filter: Prefilter = [];
  for (const s of query.any) {
    // Rarest first; every group is a set of alternatives.
    const candidates: (string[] | undefined)[] = [
      s.name !== undefined ? keyed('name', [s.name]) : undefined,
      s.user !== undefined ? keyed('username', [s.user]) : undefined,
      s.group !== undefined && /^[\x20-\x7e]*$/.test(s.group) && !/["\\]/.test(s.group)
        ? [JSON.stringify(s.group)]
        : undefined,
      s.impersonated === true ? ['"impersonatedUser":'] : undefined,
      s.minCode !== undefined && s.maxCode !== undefined && s.maxCode - s.minCode <= 10
        ? Array.from({ length: s.maxCode - s.minCode + 1 }, (_, i) => `"code":${s.minCode! + i}`)
        : undefined,
      s.subresources !== undefined && !s.subresources.includes('') ? keyed('subresource', s.subresources) : undefined,
      s.namespace !== undefined ? keyed('namespace', [s.namespace]) : undefined,
      s.resources !== undefined ? keyed('resource', s.resources) : undefined,
      s.verbs !== undefined ? keyed('verb', s.verbs) : undefined,
    ];
    const groups = candidates.filter((g): g is string[] => g !== undefined && g.length > 0);
    if (groups.length === 0) return undefined;
    filter.push(groups);
  }
  return filter;
}
