import { auditDocumentId, sanitizeAuditEvent, type AuditEvent } from '../enrich/audit-event.ts';
import type { FileEmitter } from '../pipeline/emitter.ts';
import type { LineParser } from './line-parser.ts';

/** How audit events are cut down (logs.auditProcessing). */
export interface AuditOptions {
  maxObjectBytes: number;
  /** Resources (or resource/subresource) whose bodies are never shipped. */
  omitBodiesOf: readonly string[];
}

/** Turns one audit event into its document text and id (shared by the file source and the webhook). */
export function auditDocument(
  event: AuditEvent,
  options: AuditOptions,
): { id: string; timestamp: string; text: string } {
  const doc = sanitizeAuditEvent(event, options.maxObjectBytes, options.omitBodiesOf);
  return { id: auditDocumentId(event), timestamp: doc['@timestamp'] as string, text: JSON.stringify(doc) };
}

/** Simple string fields that are safe to show from a line that is not a whole event. */
const metadataFields = ['auditID', 'stage', 'verb', 'requestURI', 'level'] as const;

/**
 * What is shipped for an audit line that does not parse (cut at the line limit, or damaged): the
 * few identifying fields found in its text, its size and the reason, never the text itself (it
 * may hold a Secret's data).
 */
export function auditMetadataOnly(text: string, reason: string): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    '@timestamp': new Date().toISOString(),
    parse_error: reason,
    bytes: Buffer.byteLength(text),
  };
  for (const field of metadataFields) {
    const match = new RegExp(`"${field}":"((?:[^"\\\\]|\\\\.){0,512})"`).exec(text);
    if (match) {
      try {
        doc[field] = JSON.parse(`"${match[1]!}"`) as string;
      } catch {
        /* not a clean string */
      }
    }
  }
  const user = /"user":\{"username":"((?:[^"\\]|\\.){0,512})"/.exec(text);
  if (user) {
    try {
      doc.user = { username: JSON.parse(`"${user[1]!}"`) as string };
    } catch {
      /* not a clean string */
    }
  }
  return doc;
}

/**
 * API server audit log lines: one audit.k8s.io/v1 Event per line. Secret and token bodies are
 * dropped and large bodies trimmed; the document id is derived from the event's content, so the
 * same event read from the file and received by the webhook is stored once. Lines that are not
 * JSON (or were cut at the line limit) are shipped as metadata only, and counted.
 */
export class AuditParser implements LineParser {
  private readonly emitter: FileEmitter;
  private readonly options: AuditOptions;
  /** Longest line the tail hands over whole; a line of this length was cut. */
  private readonly maxLineBytes: number;

  constructor(emitter: FileEmitter, options: AuditOptions, maxLineBytes: number) {
    this.emitter = emitter;
    this.options = options;
    this.maxLineBytes = maxLineBytes;
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
      const reason = end - start >= this.maxLineBytes ? 'audit_line_too_long' : 'not_audit_json';
      this.emitter.error(reason);
      const doc = auditMetadataOnly(text, reason);
      this.emitter.document(
        'audit',
        doc['@timestamp'] as string,
        this.emitter.idPrefix + offset,
        JSON.stringify(doc),
        offset,
        endOffset,
      );
      return;
    }
    const doc = auditDocument(event, this.options);
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
