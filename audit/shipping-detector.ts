import type { AuditDocument } from '../core/audit-documents.ts';
import type { Logger } from '../core/log.ts';
import { FindingDetector } from './detector.ts';
import type { AuditMetrics } from './metrics.ts';

/**
 * The detector as the agent runs it: fed the audit documents the sink acknowledged, it counts
 * findings by rule (watchkeeper_audit_findings_total) and logs each finding once with the
 * events behind it. A re-sent batch (at-least-once delivery) can count its findings again.
 */
export class ShippingDetector {
  private readonly detector: FindingDetector;
  private readonly metrics: AuditMetrics;

  constructor(metrics: AuditMetrics, logger: Logger) {
    this.metrics = metrics;
    this.detector = new FindingDetector(
      (finding) => {
        metrics.findings.inc({ rule: finding.rule });
        logger.warn(
          {
            rule: finding.rule,
            severity: finding.severity,
            user: finding.user,
            first: finding.first,
            last: finding.last,
            auditIDs: finding.events.map((e) => e.auditID),
          },
          `Audit finding: ${finding.title}.`,
        );
      },
      undefined,
      (rule) => metrics.notJudged.inc({ rule }),
    );
  }

  /** Feeds one shipped audit document (its JSON text). */
  observeText(text: string): void {
    let doc: AuditDocument;
    try {
      doc = JSON.parse(text) as AuditDocument;
    } catch {
      this.metrics.unreadable.inc();
      return;
    }
    this.metrics.eventsInspected.inc();
    this.detector.observe(doc);
  }
}
