import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { auditTimestampField, directorySinkFiles, isAuditIndex, type AuditDocument } from '../../core/audit-documents.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import { matchesQuery, requiredSubstrings, type AuditQuery } from '../query.ts';
import type { AuditSource, SearchStats } from '../source.ts';

/** Files written more than this long before `since` cannot hold events of the range (clock skew allowance). */
const mtimeSlackMs = 10 * 60_000;
const newline = 0x0a;
const timestampKey = Buffer.from(`"${auditTimestampField}":"`);
const indexKey = Buffer.from('{"_index":"');

interface SinkLine {
  _index?: string;
  _id?: string;
  doc?: AuditDocument;
}

/**
 * Reads audit events from the directory sink's NDJSON files (`{"_index","_id","doc"}` lines),
 * streaming each file in 1 MiB reads. A line is parsed only when its index is an audit index, its
 * @timestamp (found by byte search) is in range and it contains one of the query's values; the
 * same event stored twice (at-least-once delivery) is passed on once, by its document id.
 */
export class DirectoryAuditSource implements AuditSource {
  readonly description: string;
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.description = `directory ${dir}`;
  }

  async search(query: AuditQuery, visit: (event: AuditDocument) => void, signal?: AbortSignal): Promise<SearchStats> {
    const stats: SearchStats = { inRange: 0, matched: 0, unreadable: 0 };
    const needles = requiredSubstrings(query)?.map((n) => Buffer.from(n));
    const seen = new Set<string>();
    const since = query.since.getTime();
    const until = query.until.getTime();
    const scanLine = (buf: Buffer, start: number, end: number): void => {
      // Searches stay inside the line: a search that ran on into the rest of the read would cost quadratic time.
      const line = buf.subarray(start, end);
      if (line.indexOf(indexKey) !== 0) { stats.unreadable++; return; }
      const indexEnd = line.indexOf(0x22, indexKey.length);
      if (indexEnd < 0 || !isAuditIndex(line.toString('latin1', indexKey.length, indexEnd))) return;
      // The shipper writes @timestamp last, so search from the end of the line.
      const at = line.lastIndexOf(timestampKey);
      if (at < 0) { stats.unreadable++; return; }
      const tsEnd = line.indexOf(0x22, at + timestampKey.length);
      const time = tsEnd > 0 ? Date.parse(line.toString('latin1', at + timestampKey.length, tsEnd)) : NaN;
      if (Number.isNaN(time)) { stats.unreadable++; return; }
      if (time < since || time >= until) return;
      stats.inRange++;
      if (needles && !needles.some((n) => line.includes(n))) return;
      let parsed: SinkLine;
      try {
        parsed = JSON.parse(line.toString('utf8')) as SinkLine;
      } catch {
        stats.unreadable++;
        return;
      }
      const doc = parsed.doc;
      if (!doc || !matchesQuery(doc, query)) return;
      const id = parsed._id ?? `${doc.auditID}-${doc.stage}`;
      if (seen.has(id)) return;
      seen.add(id);
      stats.matched++;
      visit(doc);
    };
    for (const file of await this.files(since)) {
      signal?.throwIfAborted();
      await scanFile(join(this.dir, file), scanLine, signal);
    }
    return stats;
  }

  /** Rotated files oldest first, then the live one; files last written long before `since` are left out. */
  private async files(since: number): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new WatchkeeperError('failed', code === 'ENOENT'
        ? `the directory sink ${this.dir} does not exist: is logs.directory.path right, and has the agent shipped anything yet?`
        : `cannot read the directory sink ${this.dir}: ${(error as Error).message}`, { cause: error });
    }
    const { current, rotatedPrefix, suffix } = directorySinkFiles;
    const rotated = names.filter((n) => n.startsWith(rotatedPrefix) && n.endsWith(suffix)).sort();
    const candidates = [...rotated, ...(names.includes(current) ? [current] : [])];
    const kept: string[] = [];
    for (const name of candidates) {
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (info && info.mtimeMs >= since - mtimeSlackMs) kept.push(name);
    }
    return kept;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Calls onLine for every complete line of a file (a last line without newline included). */
async function scanFile(path: string, onLine: (buf: Buffer, start: number, end: number) => void, signal?: AbortSignal): Promise<void> {
  let rest: Buffer | undefined;
  const stream = createReadStream(path, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
      let start = 0;
      for (let nl = buf.indexOf(newline, start); nl >= 0; nl = buf.indexOf(newline, start)) {
        if (nl > start) onLine(buf, start, nl);
        start = nl + 1;
      }
      rest = start < buf.length ? buf.subarray(start) : undefined;
    }
  } catch (error) {
    // A rotated file deleted by the sink's retention while we read it: what was read stands.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (rest && rest.length > 0) onLine(rest, 0, rest.length);
}
