import type { AuditDocument } from '../core/audit-documents.ts';
import { recordedAtLeast } from './levels.ts';
import { eventTimeMs, finalStages, matchesSelector } from './query.ts';
import { auditRules, type AuditRule, type Severity } from './rules.ts';

/** An event behind a finding, enough to look it up (auditID) and to read it at a glance. */
export interface EventRef {
  auditID: string;
  time: string;
  user: string;
  impersonatedUser?: string;
  verb: string;
  /** objectRef.resource, or the request URI of a request without an object (e.g. /api). */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  code: number;
  sourceIPs: string[];
}

/** One finding: a rule, who, when, and the events behind it. */
export interface Finding {
  rule: string;
  title: string;
  severity: Severity;
  user: string;
  first: string;
  last: string;
  events: EventRef[];
}

/** Users tracked per burst rule at most; beyond it the least recently seen is forgotten (and counted). */
const maxTrackedUsers = 10_000;

/** The reference of an event. */
export function eventRef(event: AuditDocument): EventRef {
  const ref = event.objectRef ?? {};
  return {
    auditID: event.auditID ?? '',
    time: event['@timestamp'] ?? event.stageTimestamp ?? '',
    user: event.user?.username ?? '',
    ...(event.impersonatedUser?.username ? { impersonatedUser: event.impersonatedUser.username } : {}),
    verb: event.verb ?? '',
    resource: ref.resource ?? (event.requestURI ?? '').split('?')[0]!,
    ...(ref.subresource ? { subresource: ref.subresource } : {}),
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    ...(ref.name ? { name: ref.name } : {}),
    code: event.responseStatus?.code ?? 0,
    sourceIPs: event.sourceIPs ?? [],
  };
}

/** True when a rule selects an event (before its test). */
export function ruleSelects(rule: AuditRule, event: AuditDocument): boolean {
  return rule.select.some((s) => matchesSelector(event, s));
}

/**
 * Runs the rules over events fed in (roughly) time order and reports each finding once: at once
 * for single-event rules, when the threshold is reached for burst rules (the window then starts
 * afresh). Used by `audit suspicious` over stored events and by the agent as events are shipped.
 */
export class FindingDetector {
  private readonly rules: readonly AuditRule[];
  private readonly onFinding: (finding: Finding) => void;
  private readonly windows = new Map<string, Map<string, EventRef[]>>();
  /** Selected events a rule could not judge because their level or shipping left out the body it needs. */
  readonly notJudged = new Map<string, number>();
  /** Users forgotten by burst rules because too many were tracked at once. */
  forgottenUsers = 0;

  private readonly onNotJudged: ((rule: string) => void) | undefined;

  constructor(
    onFinding: (finding: Finding) => void,
    rules: readonly AuditRule[] = auditRules,
    onNotJudged?: (rule: string) => void,
  ) {
    this.rules = rules;
    this.onFinding = onFinding;
    this.onNotJudged = onNotJudged;
    for (const rule of rules) if (rule.burst) this.windows.set(rule.id, new Map());
  }

  /** Feeds one audit event. Events of other stages than the final ones are ignored. */
  observe(event: AuditDocument): void {
    if (!finalStages.includes(event.stage ?? '')) return;
    for (const rule of this.rules) {
      if (!ruleSelects(rule, event)) continue;
      if (
        rule.needs &&
        (!recordedAtLeast(event, rule.needs) || (event.objectTrimmed ?? []).some((t) => t.startsWith('requestObject:')))
      ) {
        this.notJudged.set(rule.id, (this.notJudged.get(rule.id) ?? 0) + 1);
        this.onNotJudged?.(rule.id);
        continue;
      }
      if (rule.test && !rule.test(event)) continue;
      const ref = eventRef(event);
      if (!rule.burst) {
        this.emit(rule, [ref]);
        continue;
      }
      this.burst(rule, rule.burst, ref, eventTimeMs(event));
    }
  }

  private burst(rule: AuditRule, burst: NonNullable<AuditRule['burst']>, ref: EventRef, time: number): void {
    const users = this.windows.get(rule.id)!;
    const window = users.get(ref.user) ?? [];
    users.delete(ref.user);
    const from = time - burst.windowSeconds * 1000;
    const kept = window.filter((r) => Date.parse(r.time) > from);
    kept.push(ref);
    if (kept.length >= burst.count) {
      this.emit(rule, kept);
      return;
    }
    users.set(ref.user, kept);
    if (users.size > maxTrackedUsers) {
      users.delete(users.keys().next().value!);
      this.forgottenUsers++;
    }
  }

  private emit(rule: AuditRule, events: EventRef[]): void {
    this.onFinding({
      rule: rule.id,
      title: rule.title,
      severity: rule.severity,
      user: events[0]!.user,
      first: events[0]!.time,
      last: events[events.length - 1]!.time,
      events,
    });
  }
}
