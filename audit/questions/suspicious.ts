import { FindingDetector, type Finding } from '../detector.ts';
import { auditRules, type AuditRule } from '../rules.ts';
import type { AuditSource, SearchStats } from '../source.ts';

/** Answer of {@link suspicious}. */
export interface SuspiciousAnswer {
  question: string;
  since: string;
  until: string;
  findings: Finding[];
  /** Per rule: events it selected but could not judge (audit level too low, body not shipped). */
  notJudged: Record<string, number>;
  stats: SearchStats;
  notes: string[];
}

/**
 * Runs the detection rules (audit/rules.ts) over the events of the range that any rule selects,
 * streaming them through the same detector the agent runs while shipping: memory holds the
 * findings and the burst windows, never the range. Elasticsearch returns events in time order,
 * the directory sink's files are read oldest first (their order is the order of shipping).
 */
export async function suspicious(
  source: AuditSource,
  since: Date,
  until: Date,
  rules: readonly AuditRule[] = auditRules,
): Promise<SuspiciousAnswer> {
  const findings: Finding[] = [];
  const detector = new FindingDetector((f) => findings.push(f), rules);
  const stats = await source.search({ since, until, any: rules.flatMap((r) => r.select) }, (event) =>
    detector.observe(event),
  );
  const notJudged = Object.fromEntries(detector.notJudged);
  const notes = Object.entries(notJudged).map(([id, n]) => {
    const rule = rules.find((r) => r.id === id)!;
    return `${id}: ${n} selected events recorded below ${rule.needs} level (or without their body) could not be judged; audit them at ${rule.needs} or above.`;
  });
  const order = new Map(rules.map((r, i) => [r.id, i]));
  findings.sort((a, b) => order.get(a.rule)! - order.get(b.rule)! || a.first.localeCompare(b.first));
  return {
    question: 'suspicious',
    since: since.toISOString(),
    until: until.toISOString(),
    findings,
    notJudged,
    stats,
    notes,
  };
}
