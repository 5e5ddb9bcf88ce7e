import type { AuditDocument } from '../core/audit-documents.ts';
import type { AuditQuery } from './query.ts';

/** What a search saw besides the matching events, so that an empty answer can say why. */
export interface SearchStats {
  /**
   * Audit documents in the time range, matching or not. Elasticsearch always counts them; the
   * directory reader only when nothing matched (counting costs a pass over every line).
   */
  inRange?: number;
  /** Matching events passed to the visitor (duplicates removed). */
  matched: number;
  /** Lines or documents that could not be read (not JSON, no timestamp); never silently skipped. */
  unreadable: number;
}

/**
 * Where shipped audit events are read back from: Elasticsearch or the directory sink's files.
 * `search` streams the matching events to `visit` (Elasticsearch in time order, files in file
 * order) without holding the range in memory.
 */
export interface AuditSource {
  /** Where the events come from, for messages (never with credentials). */
  readonly description: string;
  search(query: AuditQuery, visit: (event: AuditDocument) => void, signal?: AbortSignal): Promise<SearchStats>;
  close(): Promise<void>;
}
