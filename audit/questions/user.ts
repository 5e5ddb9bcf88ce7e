import type { AuditDocument } from '../../core/audit-documents.ts';
import type { AuditSource, SearchStats } from '../source.ts';

/** What one user did with one verb on one resource. */
export interface UserActivityGroup {
  verb: string;
  resource: string;
  count: number;
  /** Answered 4xx/5xx. */
  failed: number;
  /** Done while impersonating someone else, or done by someone impersonating this user. */
  impersonated: number;
  first: string;
  last: string;
  /** Up to five namespace/name examples. */
  examples: string[];
  sourceIPs: string[];
  userAgents: string[];
}

/** Answer of {@link userActivity}. */
export interface UserAnswer {
  question: string;
  since: string;
  until: string;
  user: string;
  groups: string[];
  total: number;
  activity: UserActivityGroup[];
  stats: SearchStats;
  notes: string[];
}

const maxExamples = 5;

function addDistinct(list: string[], value: string): void {
  if (value !== '' && list.length < maxExamples && !list.includes(value)) list.push(value);
}

/**
 * What one user or service account did (as itself or impersonated), grouped by verb and resource:
 * counts, failures, first and last time, examples, source IPs and user agents. Aggregated while
 * streaming, so a busy service account's day costs one group per verb and resource.
 */
export async function userActivity(source: AuditSource, user: string, since: Date, until: Date): Promise<UserAnswer> {
  const groups = new Map<string, UserActivityGroup>();
  const userGroups = new Set<string>();
  const visit = (event: AuditDocument): void => {
    const ref = event.objectRef ?? {};
    const resource = ref.resource
      ? `${ref.resource}${ref.subresource ? `/${ref.subresource}` : ''}`
      : (event.requestURI ?? '').split('?')[0]!;
    const key = `${event.verb}\u0000${resource}`;
    const time = event['@timestamp'] ?? event.stageTimestamp ?? '';
    let group = groups.get(key);
    if (!group) {
      group = {
        verb: event.verb ?? '',
        resource,
        count: 0,
        failed: 0,
        impersonated: 0,
        first: time,
        last: time,
        examples: [],
        sourceIPs: [],
        userAgents: [],
      };
      groups.set(key, group);
    }
    group.count++;
    if ((event.responseStatus?.code ?? 0) >= 400) group.failed++;
    if (event.impersonatedUser?.username) group.impersonated++;
    if (time < group.first) group.first = time;
    if (time > group.last) group.last = time;
    addDistinct(group.examples, [ref.namespace, ref.name].filter(Boolean).join('/'));
    for (const ip of event.sourceIPs ?? []) addDistinct(group.sourceIPs, ip);
    addDistinct(group.userAgents, event.userAgent ?? '');
    const acting = event.impersonatedUser?.username === user ? event.impersonatedUser : event.user;
    for (const g of acting?.groups ?? []) userGroups.add(g);
  };
  const stats = await source.search({ since, until, any: [{ user }] }, visit);
  const activity = [...groups.values()].sort(
    (a, b) => b.count - a.count || a.verb.localeCompare(b.verb) || a.resource.localeCompare(b.resource),
  );
  return {
    question: `user ${user}`,
    since: since.toISOString(),
    until: until.toISOString(),
    user,
    groups: [...userGroups].sort(),
    total: activity.reduce((n, g) => n + g.count, 0),
    activity,
    stats,
    notes: [],
  };
}
