import { Counter, type Registry } from 'prom-client';
import { auditRules } from './rules.ts';

/** Metrics of the audit detector the agent runs while shipping; alerts and dashboards use these names. */
export interface AuditMetrics {
  findings: Counter<'rule'>;
  notJudged: Counter<'rule'>;
  eventsInspected: Counter;
  unreadable: Counter;
}

/** Creates the audit detector's metrics, every rule's series at 0 so that increase() sees the first finding. */
export function createAuditMetrics(registry: Registry): AuditMetrics {
  const registers = [registry];
  const metrics: AuditMetrics = {
    findings: new Counter({
      name: 'watchkeeper_audit_findings_total',
      help: 'Suspicious-activity findings in shipped audit events, by detection rule.',
      labelNames: ['rule'],
      registers,
    }),
    notJudged: new Counter({
      name: 'watchkeeper_audit_events_not_judged_total',
      help:
        'Audit events a rule selected but could not judge: recorded below the level it needs, or ' +
        'shipped without the body.',
      labelNames: ['rule'],
      registers,
    }),
    eventsInspected: new Counter({
      name: 'watchkeeper_audit_events_inspected_total',
      help: 'Shipped audit events run through the detection rules.',
      registers,
    }),
    unreadable: new Counter({
      name: 'watchkeeper_audit_events_unreadable_total',
      help: 'Shipped audit documents the detector could not parse.',
      registers,
    }),
  };
  for (const rule of auditRules) {
    metrics.findings.inc({ rule: rule.id }, 0);
    metrics.notJudged.inc({ rule: rule.id }, 0);
  }
  return metrics;
}
