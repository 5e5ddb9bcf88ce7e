import { alignRows } from '../core/table.ts';
import { changeText } from './diff.ts';
import type { ActionAnswer, ActionRow } from './questions/action.ts';
import type { SuspiciousAnswer } from './questions/suspicious.ts';
import type { UserAnswer } from './questions/user.ts';
import type { SearchStats } from './source.ts';

/** Changes shown per row in a table; -o json has them all. */
const maxChangeLines = 12;
/** Events shown per finding in a table; -o json has them all. */
const maxFindingEvents = 5;

/**
 * Control characters shown as escapes: user agents, names and messages come from API clients,
 * and an escape sequence in them must not rewrite the terminal (hide a row, forge another).
 */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Rows aligned under a header; each row may carry indented detail lines below it. */
function layout(
  header: readonly string[],
  unsafeRows: readonly { cells: readonly string[]; details: readonly string[] }[],
): string {
  const rows = unsafeRows.map((r) => ({ cells: r.cells.map(printable), details: r.details.map(printable) }));
  const [head, ...lines] = alignRows(
    header,
    rows.map((r) => r.cells),
  );
  const out = [head!];
  rows.forEach((row, i) => out.push(lines[i]!, ...row.details.map((d) => `    ${d}`)));
  return `${out.join('\n')}\n`;
}

/** Seconds precision, UTC: enough to read, the exact time is in -o json. */
function shortTime(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function objectText(row: Pick<ActionRow, 'resource' | 'subresource' | 'namespace' | 'name'>): string {
  const name = row.name ? `/${row.name}` : '';
  return `${row.resource}${name}${row.subresource ? `/${row.subresource}` : ''}${row.namespace ? ` -n ${row.namespace}` : ''}`;
}

/** `(N audit events in that range)`, when the source counted them. */
function rangeNote(stats: SearchStats, extra = ''): string {
  const parts = [
    ...(stats.inRange !== undefined ? [`${stats.inRange} audit events in that range`] : []),
    ...(extra ? [extra] : []),
  ];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function footer(stats: SearchStats, notes: readonly string[]): string {
  const lines = notes.map((n) => `note: ${n}`);
  if (stats.unreadable > 0)
    lines.push(
      `note: ${stats.unreadable} stored lines could not be read (not JSON or without a timestamp) and were skipped.`,
    );
  return lines.length > 0 ? `\n${lines.join('\n')}\n` : '';
}

/** `audit who` and `audit history` as a table: a row per request, details and changes below it. */
export function formatActions(answer: ActionAnswer): string {
  if (answer.rows.length === 0)
    return `No matching requests between ${answer.since} and ${answer.until}${rangeNote(answer.stats)}.\n${footer(answer.stats, answer.notes)}`;
  const rows = answer.rows.map((r) => {
    const details = [`groups: ${r.groups.join(',') || '-'}   agent: ${r.userAgent || '-'}   auditID: ${r.auditID}`];
    if (r.change) {
      const changes = r.change.changes.map(changeText);
      details.push(...changes.slice(0, maxChangeLines));
      if (changes.length > maxChangeLines)
        details.push(`... ${changes.length - maxChangeLines} more changes (-o json shows all)`);
      if (r.change.note) details.push(`(${r.change.note})`);
    }
    const user = r.impersonatedUser ? `${r.user} as ${r.impersonatedUser}` : r.user;
    return {
      cells: [shortTime(r.time), user, r.actor, r.verb, objectText(r), String(r.code), r.sourceIPs.join(',')],
      details,
    };
  });
  return (
    layout(['TIME', 'USER', 'ACTOR', 'VERB', 'OBJECT', 'CODE', 'SOURCE IPS'], rows) + footer(answer.stats, answer.notes)
  );
}

/** `audit user` as a table: a row per verb and resource. */
export function formatUser(answer: UserAnswer): string {
  if (answer.activity.length === 0)
    return `No requests by ${answer.user} between ${answer.since} and ${answer.until}${rangeNote(answer.stats)}.\n${footer(answer.stats, answer.notes)}`;
  const head =
    printable(`${answer.user}: ${answer.total} requests; groups: ${answer.groups.join(', ') || '-'}`) + '\n\n';
  const rows = answer.activity.map((g) => ({
    cells: [
      g.verb,
      g.resource,
      String(g.count),
      String(g.failed),
      String(g.impersonated),
      shortTime(g.first),
      shortTime(g.last),
      g.examples.join(' '),
    ],
    details: [`from ${g.sourceIPs.join(',') || '-'}   agent: ${g.userAgents.join(' | ') || '-'}`],
  }));
  return (
    head +
    layout(['VERB', 'RESOURCE', 'COUNT', 'FAILED', 'IMPERSONATED', 'FIRST', 'LAST', 'EXAMPLES'], rows) +
    footer(answer.stats, answer.notes)
  );
}

/** `audit suspicious` as a table: a row per finding, the events behind it below. */
export function formatSuspicious(answer: SuspiciousAnswer): string {
  const none = `No findings between ${answer.since} and ${answer.until}${rangeNote(answer.stats, `${answer.stats.matched} looked at closely`)}.\n`;
  if (answer.findings.length === 0) return none + footer(answer.stats, answer.notes);
  const rows = answer.findings.map((f) => {
    const details = f.events
      .slice(0, maxFindingEvents)
      .map(
        (e) =>
          `${shortTime(e.time)}  ${e.auditID}  ${e.user}${e.impersonatedUser ? ` as ${e.impersonatedUser}` : ''}  ${e.verb} ${objectText(e)}  ${e.code}`,
      );
    if (f.events.length > maxFindingEvents)
      details.push(`... ${f.events.length - maxFindingEvents} more events (-o json shows all)`);
    return { cells: [f.severity, f.rule, f.user, shortTime(f.first), String(f.events.length), f.title], details };
  });
  return layout(['SEVERITY', 'RULE', 'USER', 'FIRST', 'EVENTS', 'FINDING'], rows) + footer(answer.stats, answer.notes);
}
