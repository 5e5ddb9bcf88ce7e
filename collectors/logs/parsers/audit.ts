import { auditDocumentId, sanitizeAuditEvent, type AuditEvent } from '../enrich/audit-event.ts';
import type { FileEmitter } from '../pipeline/emitter.ts';
import type { LineParser } from './line-parser.ts';

/** Turns one audit event into its document text and id (shared by the file source and the webhook). */
export function auditDocument(event: AuditEvent, maxObjectBytes: number, fallbackId: string): { id: string; timestamp: string; text: string } {
  const doc = sanitizeAuditEvent(event, maxObjectBytes);
  return { id: auditDocumentId(event) ?? fallbackId, timestamp: doc['@timestamp'] as string, text: JSON.stringify(doc) };
}

/**
 * API server audit log lines: one audit.k8s.io/v1 Event per line. Secret bodies are dropped and
 * large bodies trimmed; the document id is the audit ID and stage, so the same event read from
 * the file and received by the webhook is stored once. Lines that are not JSON are shipped as a
 * message and counted.
 */
export class AuditParser implements LineParser {
  private readonly emitter: FileEmitter;
  private readonly maxObjectBytes: number;

  constructor(emitter: FileEmitter, maxObjectBytes: number) {
    this.emitter = emitter;
    this.maxObjectBytes = maxObjectBytes;
  }

  line(buf: Buffer, start: number, end: number, offset: number, endOffset: number): void {
    const text = buf.toString('utf8', start, end);
    let event: AuditEvent | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) event = parsed as AuditEvent;
    } catch {
      // Counted below.
    }
    if (!event) {
      this.emitter.error('not_audit_json');
      const now = new Date().toISOString();
      this.emitter.document('audit', now, this.emitter.idPrefix + offset, JSON.stringify({ '@timestamp': now, message: text, parse_error: 'audit' }), offset, endOffset);
      return;
    }
    const doc = auditDocument(event, this.maxObjectBytes, this.emitter.idPrefix + offset);
    this.emitter.document('audit', doc.timestamp, doc.id, doc.text, offset, endOffset);
  }

  idle(): void {
    // Every line is a whole event.
  }

  end(): void {
    this.idle();
  }

  reset(): void {
    // No state.
  }
}
