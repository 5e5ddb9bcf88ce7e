/**
 * The contract between the log shipper, which stores API server audit events, and the audit
 * investigations, which read them back: where the documents are and which fields they carry.
 * Both sides name these fields through this module only, so neither imports the other.
 *
 * A document is one audit.k8s.io/v1 Event as the API server wrote it, plus `@timestamp` (the
 * event's stageTimestamp) and `objectTrimmed` (which bodies the shipper left out and why).
 */

/** Field holding the time of the event's stage (RFC 3339), used for time ranges. */
export const auditTimestampField = '@timestamp';

/** Field listing the bodies the shipper left out, e.g. `["requestObject:secret", "responseObject:40211"]`. */
export const auditTrimmedField = 'objectTrimmed';

/** The Elasticsearch indices (daily) or data stream holding audit documents for an index prefix. */
export function auditIndexPattern(prefix: string, mode: 'daily' | 'datastream'): string {
  return mode === 'datastream' ? `${prefix}-audit` : `${prefix}-audit-*`;
}

/** True when an index name (as written in a directory sink line's `_index`) holds audit documents. */
export function isAuditIndex(index: string): boolean {
  return /-audit(?:-\d{4}\.\d{2}\.\d{2})?$/.test(index);
}

/** Names of the directory sink's files: the live one and rotated ones (`events-<time>.ndjson`). */
export const directorySinkFiles = { current: 'current.ndjson', rotatedPrefix: 'events-', suffix: '.ndjson' } as const;

/** A user as the API server records it. */
export interface AuditUser {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** What an audit event refers to. */
export interface AuditObjectRef {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

/** An audit document: an audit.k8s.io/v1 Event with the shipper's two extra fields. */
export interface AuditDocument {
  level?: 'None' | 'Metadata' | 'Request' | 'RequestResponse';
  auditID?: string;
  stage?: string;
  requestURI?: string;
  verb?: string;
  user?: AuditUser;
  impersonatedUser?: AuditUser;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: AuditObjectRef;
  responseStatus?: { code?: number; status?: string; reason?: string; message?: string };
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp?: string;
  stageTimestamp?: string;
  annotations?: Record<string, string>;
  '@timestamp'?: string;
  objectTrimmed?: string[];
}
