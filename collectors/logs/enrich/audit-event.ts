/** An audit.k8s.io/v1 Event, as far as the shipper looks into it. */
export interface AuditEvent {
  auditID?: string;
  stage?: string;
  stageTimestamp?: string;
  requestReceivedTimestamp?: string;
  objectRef?: { resource?: string; apiGroup?: string; [k: string]: unknown };
  requestObject?: unknown;
  responseObject?: unknown;
  [field: string]: unknown;
}

/** Resources whose request and response bodies are never shipped. */
const secretResources = new Set(['secrets']);

/**
 * Makes an audit event safe and small: Secret bodies are dropped whatever the audit level (and a
 * note says so), bodies larger than maxObjectBytes are replaced by a note with their size. The
 * who/what/when/from-where fields (user, verb, objectRef, sourceIPs, timestamps, responseStatus)
 * are kept as they are.
 */
export function sanitizeAuditEvent(event: AuditEvent, maxObjectBytes: number): AuditEvent {
  const out: AuditEvent = { ...event };
  const isSecret = secretResources.has(event.objectRef?.resource ?? '') && (event.objectRef?.apiGroup ?? '') === '';
  const trimmed: string[] = [];
  for (const field of ['requestObject', 'responseObject'] as const) {
    const value = event[field];
    if (value === undefined) continue;
    if (isSecret) {
      delete out[field];
      trimmed.push(`${field}:secret`);
      continue;
    }
    const size = JSON.stringify(value).length;
    if (size > maxObjectBytes) {
      delete out[field];
      trimmed.push(`${field}:${size}`);
    }
  }
  if (trimmed.length > 0) out.objectTrimmed = trimmed;
  out['@timestamp'] = event.stageTimestamp ?? event.requestReceivedTimestamp ?? new Date().toISOString();
  return out;
}

/** Deterministic document id of an audit event: its audit ID and stage. */
export function auditDocumentId(event: AuditEvent): string | undefined {
  return event.auditID ? `${event.auditID}-${event.stage ?? 'Unknown'}` : undefined;
}
