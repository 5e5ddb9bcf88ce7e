import { createHash } from 'node:crypto';

/** An audit.k8s.io/v1 Event, as far as the shipper looks into it. */
export interface AuditEvent {
  auditID?: string;
  stage?: string;
  stageTimestamp?: string;
  requestReceivedTimestamp?: string;
  objectRef?: { resource?: string; subresource?: string; apiGroup?: string; [k: string]: unknown };
  requestObject?: unknown;
  responseObject?: unknown;
  [field: string]: unknown;
}

/** Resources (or resource/subresource) whose request and response bodies are never shipped by default. */
export const defaultOmittedBodies = ['secrets', 'serviceaccounts/token', 'tokenreviews', 'tokenrequests'];

/** True when the event's resource (or resource/subresource) is in the list. */
function bodiesOmitted(event: AuditEvent, omit: readonly string[]): boolean {
  const resource = event.objectRef?.resource ?? '';
  if (resource === '') return false;
  const sub = event.objectRef?.subresource;
  return omit.includes(resource) || (sub !== undefined && omit.includes(`${resource}/${sub}`));
}

/**
 * Makes an audit event safe and small: bodies of the omitted resources (Secrets, tokens) are
 * dropped whatever the audit level (and a note says so), bodies larger than maxObjectBytes are
 * replaced by a note with their size. The who/what/when/from-where fields (user, verb, objectRef,
 * sourceIPs, timestamps, responseStatus) are kept as they are.
 */
export function sanitizeAuditEvent(
  event: AuditEvent,
  maxObjectBytes: number,
  omit: readonly string[] = defaultOmittedBodies,
): AuditEvent {
  const out: AuditEvent = { ...event };
  const isSecret = bodiesOmitted(event, omit);
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

/**
 * Deterministic document id of an audit event, from its content: audit ID, stage, both
 * timestamps, user, impersonated user, verb, URI, source IPs and response code. The API server
 * takes the Audit-ID from the client as given, so the audit ID alone would let a client reuse an
 * earlier one and have its own event (or the real one) dropped as a duplicate; the same event read
 * from the file and from the webhook still gets the same id.
 */
export function auditDocumentId(event: AuditEvent): string {
  const user = event.user as { username?: unknown; uid?: unknown } | undefined;
  const impersonated = event.impersonatedUser as { username?: unknown } | undefined;
  const status = event.responseStatus as { code?: unknown } | undefined;
  const identity = JSON.stringify([
    event.auditID ?? null,
    event.stage ?? null,
    event.requestReceivedTimestamp ?? null,
    event.stageTimestamp ?? null,
    user?.username ?? null,
    user?.uid ?? null,
    impersonated?.username ?? null,
    event.verb ?? null,
    event.requestURI ?? null,
    event.sourceIPs ?? null,
    status?.code ?? null,
  ]);
  return createHash('sha256').update(identity).digest('base64url').slice(0, 32);
}
