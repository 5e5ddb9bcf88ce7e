const isoDay = /^\d{4}-\d{2}-\d{2}$/;

/** Which stream of documents an event belongs to. */
export type EventKind = 'logs' | 'audit';

/**
 * Names the index of an event: <prefix>-<kind>-YYYY.MM.DD from the event's timestamp, or the data
 * stream <prefix>-<kind>. Remembers the last day per kind, so that a line costs a byte compare.
 */
export class IndexNames {
  private readonly prefix: string;
  private readonly dataStreams: boolean;
  private readonly lastDay: Record<EventKind, string> = { logs: '', audit: '' };
  private readonly lastName: Record<EventKind, string> = { logs: '', audit: '' };

  constructor(prefix: string, dataStreams: boolean) {
    this.prefix = prefix;
    this.dataStreams = dataStreams;
  }

  /** Index for an RFC 3339 timestamp string (its first 10 characters are the date). */
  forTimestamp(kind: EventKind, timestamp: string): string {
    if (this.dataStreams) return `${this.prefix}-${kind}`;
    // Only a well-formed date names an index; anything else (a forged timestamp) goes to today's.
    const head = timestamp.slice(0, 10);
    const day = isoDay.test(head) ? head : new Date().toISOString().slice(0, 10);
    if (day === this.lastDay[kind]) return this.lastName[kind];
    this.lastDay[kind] = day;
    this.lastName[kind] = `${this.prefix}-${kind}-${day.replaceAll('-', '.')}`;
    return this.lastName[kind];
  }

  private readonly prefixes = new Map<string, Buffer>();

  /** The bulk action line up to the id, `{"create":{"_index":"<index>","_id":"`, for a timestamp in bytes. */
  actionPrefix(kind: EventKind, buf: Buffer, at: number, end: number): Buffer {
    const name = this.forBytes(kind, buf, at, end);
    let prefix = this.prefixes.get(name);
    if (!prefix) {
      if (this.prefixes.size > 64) this.prefixes.clear();
      prefix = Buffer.from(`{"create":{"_index":"${name}","_id":"`);
      this.prefixes.set(name, prefix);
    }
    return prefix;
  }

  /** Index for a timestamp held as bytes in a buffer at `at`. */
  forBytes(kind: EventKind, buf: Buffer, at: number, end: number): string {
    if (this.dataStreams) return `${this.prefix}-${kind}`;
    const last = this.lastDay[kind];
    if (last.length === 10 && end - at >= 10) {
      let same = true;
      for (let i = 0; i < 10; i++)
        if (buf[at + i] !== last.charCodeAt(i)) {
          same = false;
          break;
        }
      if (same) return this.lastName[kind];
    }
    return this.forTimestamp(kind, buf.toString('latin1', at, Math.min(end, at + 10)));
  }
}
