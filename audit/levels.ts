import type { AuditDocument } from '../core/audit-documents.ts';

/** Audit policy levels, least to most recorded. */
export type AuditLevel = 'Metadata' | 'Request' | 'RequestResponse';

const order: Record<string, number> = { None: 0, Metadata: 1, Request: 2, RequestResponse: 3 };

/** True when the event was recorded at `level` or above. */
export function recordedAtLeast(event: AuditDocument, level: AuditLevel): boolean {
  return (order[event.level ?? 'Metadata'] ?? 1) >= order[level]!;
}

/** Why a body of the event is missing: not recorded (level), or recorded but not shipped. */
export function missingBodyNote(event: AuditDocument, field: 'requestObject' | 'responseObject'): string {
  const trimmed = event.objectTrimmed?.find((t) => t.startsWith(`${field}:`));
  if (trimmed !== undefined) {
    const why = trimmed.slice(field.length + 1);
    return /^\d+$/.test(why)
      ? `${field} not shipped (${why} bytes, above logs.auditProcessing.maxObjectBytes)`
      : `${field} not shipped (${why} bodies are never shipped)`;
  }
  const needed: AuditLevel = field === 'requestObject' ? 'Request' : 'RequestResponse';
  return `recorded at ${event.level ?? 'Metadata'} level: the ${field === 'requestObject' ? 'request body' : 'object after the change'} needs ${needed}`;
}
