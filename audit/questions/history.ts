import { ChangeTracker } from '../changes.ts';
import { resourceSelector, writeVerbs, type ResourceRef } from '../resource.ts';
import type { AuditSource } from '../source.ts';
import { actionRow, eventsInOrder, levelNote, type ActionAnswer } from './action.ts';

/** Arguments of {@link history}. */
export interface HistoryQuestion {
  ref: ResourceRef & { name: string };
  namespace?: string;
  since: Date;
  until: Date;
}

/**
 * An object's story in time order: its creation, every write (to the object and its
 * subresources: scale, status, exec, binding, eviction) with who did it, whether a person or a
 * controller, and the fields it changed, and its deletion. Reads are left out.
 */
export async function history(source: AuditSource, q: HistoryQuestion): Promise<ActionAnswer> {
  const writes = resourceSelector(q.ref, q.namespace, { verbs: writeVerbs });
  // exec, attach and port-forward over websockets are gets; other gets are reads and left out.
  const streams = resourceSelector(q.ref, q.namespace, {
    verbs: ['get'],
    subresources: ['exec', 'attach', 'portforward'],
  });
  const { events, stats } = await eventsInOrder(source, { since: q.since, until: q.until, any: [writes, streams] });
  const tracker = new ChangeTracker();
  const rows = events.map((event) => actionRow(event, tracker.apply(event)));
  const note = levelNote(rows.filter((r) => r.verb === 'update' || r.verb === 'patch'));
  return {
    question: `history ${q.ref.resource}/${q.ref.name}${q.namespace ? ` -n ${q.namespace}` : ''}`,
    since: q.since.toISOString(),
    until: q.until.toISOString(),
    rows,
    stats,
    notes: note ? [note] : [],
  };
}
