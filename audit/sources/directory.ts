import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  auditTimestampField,
  directorySinkFiles,
  isAuditIndex,
  type AuditDocument,
} from '../../core/audit-documents.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import { matchesQuery, prefilterOf, type AuditQuery } from '../query.ts';
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
 * A line's time range check: its @timestamp (found by byte search from the end, where the shipper writes it),
 * or NaN.
 */
function lineTime(line: Buffer): number {
  const at = line.lastIndexOf(timestampKey);
  if (at < 0) return NaN;
  const end = line.indexOf(0x22, at + timestampKey.length);
  return end > 0 ? Date.parse(line.toString('latin1', at + timestampKey.length, end)) : NaN;
}

/**
 * True when the line is an audit document line (`{"_index":"<prefix>-audit...`); undefined when it is not a
 * sink line at all.
 */
function isAuditLine(line: Buffer): boolean | undefined {
  if (line.indexOf(indexKey) !== 0) return undefined;
  const end = line.indexOf(0x22, indexKey.length);
  return end > 0 && isAuditIndex(line.toString('latin1', indexKey.length, end));
}

/**
 * The lines of buf[0, end) that contain one of the anchors, by start offset (ascending), each
 * with the indices of the anchors it contains: found like grep does, by searching the whole read
 * for each anchor, so that lines without any cost nothing but the native search.
 */
function candidateLines(buf: Buffer, end: number, anchors: readonly Buffer[]): [number, Set<number>][] {
  const lines = new Map<number, Set<number>>();
  anchors.forEach((anchor, index) => {
    for (let at = buf.indexOf(anchor); at >= 0 && at < end; at = buf.indexOf(anchor, at + anchor.length)) {
      const start = buf.lastIndexOf(newline, at) + 1;
      const hits = lines.get(start);
      if (hits) hits.add(index);
      else lines.set(start, new Set([index]));
      // The rest of this line cannot add another start.
      const next = buf.indexOf(newline, at);
      if (next < 0) break;
      at = next - anchor.length + 1;
    }
  });
  return [...lines].sort((a, b) => a[0] - b[0]);
}

/**
 * The prefilter in bytes: the anchors (every selector's rarest group, deduplicated) and per
 * selector which anchors stand for its first group and the rest of its groups.
 */
interface BytePrefilter {
  anchors: Buffer[];
  selectors: { anchors: number[]; rest: Buffer[][] }[];
}

function bytePrefilter(query: AuditQuery): BytePrefilter | undefined {
  const filter = prefilterOf(query);
  if (!filter) return undefined;
  const anchors: Buffer[] = [];
  const anchorIndex = new Map<string, number>();
  const selectors = filter.map((groups) => ({
    anchors: groups[0]!.map((text) => {
      let index = anchorIndex.get(text);
      if (index === undefined) {
        index = anchors.push(Buffer.from(text)) - 1;
        anchorIndex.set(text, index);
      }
      return index;
    }),
    rest: groups.slice(1).map((group) => group.map((text) => Buffer.from(text))),
  }));
  return { anchors, selectors };
}

/** True when a candidate line passes a selector whose anchor it contains: one string of each of its other groups. */
function passes(line: Buffer, hits: Set<number>, filter: BytePrefilter): boolean {
  return filter.selectors.some(
    (s) => s.anchors.some((a) => hits.has(a)) && s.rest.every((group) => group.some((b) => line.includes(b))),
  );
}

/**
 * Reads audit events from the directory sink's NDJSON files (`{"_index","_id","doc"}` lines),
 * streaming each file in 4 MiB reads. Only lines containing the query's values (the
 * prefilter, searched over the whole read as grep does) are looked at; of those, lines of audit
 * indices in the time range are parsed and matched. The same event stored twice (at-least-once
 * delivery) is passed on once, by its document id. When nothing matched, a second pass counts the
 * audit events of the range, so that the answer can tell "nobody did it" from "no events at all".
 */
export class DirectoryAuditSource implements AuditSource {
  readonly description: string;
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.description = `directory ${dir}`;
  }

  async search(query: AuditQuery, visit: (event: AuditDocument) => void, signal?: AbortSignal): Promise<SearchStats> {
    const stats: SearchStats = { matched: 0, unreadable: 0 };
    const filter = bytePrefilter(query);
    const seen = new Set<string>();
    const since = query.since.getTime();
    const until = query.until.getTime();
    const onLine = (line: Buffer, hits?: Set<number>): void => {
      if (filter && hits && !passes(line, hits, filter)) return;
      const audit = isAuditLine(line);
      if (audit === undefined) {
        stats.unreadable++;
        return;
      }
      if (!audit) return;
      const time = lineTime(line);
      if (Number.isNaN(time)) {
        stats.unreadable++;
        return;
      }
      if (time < since || time >= until) return;
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
    const files = await this.files(since);
    for (const file of files) {
      signal?.throwIfAborted();
      await scanFile(join(this.dir, file), filter?.anchors, onLine, signal);
    }
    if (stats.matched === 0) stats.inRange = await this.countInRange(files, since, until, stats, signal);
    return stats;
  }

  /**
   * Audit documents with a timestamp in [since, until) (every line's index and time, none parsed); unreadable
   * lines are counted too.
   */
  private async countInRange(
    files: readonly string[],
    since: number,
    until: number,
    stats: SearchStats,
    signal?: AbortSignal,
  ): Promise<number> {
    let count = 0;
    stats.unreadable = 0;
    for (const file of files) {
      await scanFile(
        join(this.dir, file),
        undefined,
        (line) => {
          const audit = isAuditLine(line);
          if (audit === false) return;
          const time = lineTime(line);
          if (audit === undefined || Number.isNaN(time)) stats.unreadable++;
          else if (time >= since && time < until) count++;
        },
        signal,
      );
    }
    return count;
  }

  /** Rotated files oldest first, then the live one; files last written long before `since` are left out. */
  private async files(since: number): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new WatchkeeperError(
        'failed',
        code === 'ENOENT'
          ? `the directory sink ${this.dir} does not exist: is logs.directory.path right, and has the agent shipped anything yet?`
          : `cannot read the directory sink ${this.dir}: ${(error as Error).message}`,
        { cause: error },
      );
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

/** Bytes of one read; a longer line grows the buffer. */
const readBytes = 4 << 20;

/**
 * Calls onLine for the complete lines of a file (a last line without newline included): every
 * line, or with anchors only the lines that contain one. Reads into one reused buffer (half the
 * CPU of a read stream's fresh 1 MiB chunks, measured on 185 MiB: 0.18 s against 0.32 s), so a
 * line passed to onLine is valid only until it returns.
 */
async function scanFile(
  path: string,
  anchors: readonly Buffer[] | undefined,
  onLine: (line: Buffer, hits?: Set<number>) => void,
  signal?: AbortSignal,
): Promise<void> {
  const emit = (buf: Buffer, end: number): void => {
    if (anchors) {
      for (const [start, hits] of candidateLines(buf, end, anchors)) {
        const lineEnd = buf.indexOf(newline, start);
        onLine(buf.subarray(start, lineEnd < 0 || lineEnd > end ? end : lineEnd), hits);
      }
      return;
    }
    let start = 0;
    for (let nl = buf.indexOf(newline); nl >= 0 && nl < end; nl = buf.indexOf(newline, start)) {
      if (nl > start) onLine(buf.subarray(start, nl));
      start = nl + 1;
    }
    if (start < end) onLine(buf.subarray(start, end));
  };
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    // A rotated file deleted by the sink's retention since the listing: nothing to read.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    let buf = Buffer.allocUnsafe(readBytes);
    let filled = 0;
    for (;;) {
      signal?.throwIfAborted();
      if (filled === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
      const view = buf.subarray(0, filled);
      const last = view.lastIndexOf(newline);
      if (last < 0) continue;
      emit(view, last);
      buf.copyWithin(0, last + 1, filled);
      filled -= last + 1;
    }
    if (filled > 0) emit(buf.subarray(0, filled), filled);
  } finally {
    await handle.close();
  }
}
