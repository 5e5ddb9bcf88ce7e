import type { AuditDocument } from '../../core/audit-documents.ts';
import { actorKind, type ActorKind } from '../actor.ts';
import type { ChangeInfo } from '../changes.ts';
import { eventTimeMs } from '../query.ts';
import type { AuditSource, SearchStats } from '../source.ts';
import type { AuditQuery } from '../query.ts';

/** One request as an answer shows it: when, who (and as whom), from where, what, the outcome and what changed. */
export interface ActionRow {
  time: string;
  auditID: string;
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  user: string;
  impersonatedUser?: string;
  groups: string[];
  actor: ActorKind;
  sourceIPs: string[];
  userAgent: string;
  code: number;
  level: string;
  change?: ChangeInfo;
}

/** The answer row of an event. */
export function actionRow(event: AuditDocument, change?: ChangeInfo): ActionRow {
  const ref = event.objectRef ?? {};
  const actingAs = event.impersonatedUser?.username;
  return {
    time: event['@timestamp'] ?? event.stageTimestamp ?? '',
    auditID: event.auditID ?? '',
    verb: event.verb ?? '',
    resource: ref.resource ?? event.requestURI ?? '',
    ...(ref.subresource ? { subresource: ref.subresource } : {}),
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    ...(ref.name ? { name: ref.name } : {}),
    user: event.user?.username ?? '',
    ...(actingAs ? { impersonatedUser: actingAs } : {}),
    groups: (actingAs ? event.impersonatedUser?.groups : event.user?.groups) ?? [],
    actor: actorKind(actingAs ?? event.user?.username),
    sourceIPs: event.sourceIPs ?? [],
    userAgent: event.userAgent ?? '',
    code: event.responseStatus?.code ?? 0,
    level: event.level ?? 'Metadata',
    ...(change ? { change } : {}),
  };
}

/** Runs a query and returns the matching events in time order (a question's own matches: small). */
export async function eventsInOrder(
  source: AuditSource,
  query: AuditQuery,
): Promise<{ events: AuditDocument[]; stats: SearchStats }> {
  const events: AuditDocument[] = [];
  const stats = await source.search(query, (event) => events.push(event));
  events.sort(
    (a, b) =>
      eventTimeMs(a) - eventTimeMs(b) ||
      Date.parse(a.requestReceivedTimestamp ?? '') - Date.parse(b.requestReceivedTimestamp ?? ''),
  );
  return { events, stats };
}

/** A summary note when some changes could not be shown because of the audit level or trimming. */
export function levelNote(rows: readonly ActionRow[]): string | undefined {
  const blind = rows.filter((r) => r.change?.note !== undefined && /needs|not shipped/.test(r.change.note));
  if (blind.length === 0) return undefined;
  const levels = [...new Set(blind.map((r) => r.level))].join(', ');
  return (
    `${blind.length} of ${rows.length} changes show no fields: recorded at ${levels} level or not shipped. ` +
    'To see what changed, audit these resources at RequestResponse (a diff against the previous ' +
    'state) or at least Request (the patch sent).'
  );
}

/** Answer of who/history: rows in time order, search statistics and notes for the reader. */
export interface ActionAnswer {
  question: string;
  since: string;
  until: string;
  rows: ActionRow[];
  stats: SearchStats;
  notes: string[];
}
