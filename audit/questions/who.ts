import { ChangeTracker } from '../changes.ts';
import { matchesSelector } from '../query.ts';
import { resourceSelector, verbSpec, writeVerbs, type ResourceRef } from '../resource.ts';
import type { AuditSource } from '../source.ts';
import { actionRow, eventsInOrder, levelNote, type ActionAnswer, type ActionRow } from './action.ts';

/** Arguments of {@link who}. */
export interface WhoQuestion {
  verb: string;
  ref: ResourceRef;
  namespace?: string;
  since: Date;
  until: Date;
}

/**
 * Who did `verb` to a resource (or one object): each request with time, user, groups, source,
 * user agent and answer code; for writes, what changed, from following the object's writes in
 * the range. `scale` also finds updates and patches of the object that changed spec.replicas.
 */
export async function who(source: AuditSource, q: WhoQuestion): Promise<ActionAnswer> {
  const spec = verbSpec(q.verb);
  const asked = resourceSelector(q.ref, q.namespace, { verbs: spec.verbs, subresources: spec.subresources });
  const followed = spec.changes
    ? [resourceSelector(q.ref, q.namespace, { verbs: writeVerbs, subresources: ['', 'scale', 'status'] })]
    : [];
  const { events, stats } = await eventsInOrder(source, { since: q.since, until: q.until, any: [asked, ...followed] });
  const tracker = new ChangeTracker();
  const rows: ActionRow[] = [];
  for (const event of events) {
    const change = spec.changes ? tracker.apply(event) : undefined;
    const scaledByWrite =
      q.verb === 'scale' &&
      (event.objectRef?.subresource ?? '') === '' &&
      (change?.changes.some((c) => c.path === 'spec.replicas') ?? false);
    if (matchesSelector(event, asked) || scaledByWrite) rows.push(actionRow(event, change));
  }
  const notes: string[] = [];
  const note = spec.changes ? levelNote(rows.filter((r) => r.verb === 'update' || r.verb === 'patch')) : undefined;
  if (note) notes.push(note);
  return {
    question: `who ${q.verb} ${q.ref.resource}${q.ref.name ? `/${q.ref.name}` : ''}${q.namespace ? ` -n ${q.namespace}` : ''}`,
    since: q.since.toISOString(),
    until: q.until.toISOString(),
    rows,
    stats,
    notes,
  };
}
