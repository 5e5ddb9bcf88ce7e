import type { FileEmitter } from '../pipeline/emitter.ts';
import type { LineParser } from './line-parser.ts';

const header = /^([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6})\s+(\d+) ([^:\]\s]+):(\d+)\] ?/;
const severities: Record<string, string> = { I: 'INFO', W: 'WARNING', E: 'ERROR', F: 'FATAL' };

/** A parsed klog header. */
export interface KlogHeader {
  severity: string;
  /** RFC 3339 with microseconds, UTC. */
  timestamp: string;
  pid: number;
  file: string;
  line: number;
  /** Length of the header in the line. */
  length: number;
}

/**
 * Parses a klog/glog header `Lmmdd hh:mm:ss.uuuuuu threadid file:line] `. The year is not in the
 * line: it is the year of `now`, or the one before when that would put the record more than a day
 * in the future (a December record read in January).
 */
export function parseKlogHeader(line: string, now: Date = new Date()): KlogHeader | undefined {
  const m = header.exec(line);
  if (!m) return undefined;
  const [, sev, mo, d, h, mi, s, us, pid, file, ln] = m as unknown as string[];
  let year = now.getUTCFullYear();
  const at = (y: number): number => Date.UTC(y, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (at(year) > now.getTime() + 86_400_000) year -= 1;
  const date = new Date(at(year)).toISOString().slice(0, 19);
  return {
    severity: severities[sev!]!,
    timestamp: `${date}.${us}Z`,
    pid: Number(pid),
    file: file!,
    line: Number(ln),
    length: m[0].length,
  };
}

interface Pending {
  head: KlogHeader;
  message: string;
  offset: number;
  endOffset: number;
}

/**
 * Component logs in klog format. Lines without a header continue the previous record (stack traces,
 * multi-line messages) and are joined to it; a record is emitted when the next header arrives or
 * the file is idle. A first line without a header is shipped on its own and counted.
 */
export class KlogParser implements LineParser {
  private readonly emitter: FileEmitter;
  private readonly component: string;
  private readonly maxMessageBytes: number;
  private pending: Pending | undefined;

  constructor(emitter: FileEmitter, component: string, maxMessageBytes: number) {
    this.emitter = emitter;
    this.component = component;
    this.maxMessageBytes = maxMessageBytes;
  }

  line(buf: Buffer, start: number, end: number, offset: number, endOffset: number): void {
    const text = buf.toString('utf8', start, end);
    const head = parseKlogHeader(text);
    if (!head) {
      if (this.pending) {
        if (this.pending.message.length + text.length < this.maxMessageBytes) this.pending.message += `\n${text}`;
        this.pending.endOffset = endOffset;
        return;
      }
      this.emitter.error('not_klog');
      const now = new Date().toISOString();
      this.emitter.document(
        'logs',
        now,
        this.emitter.idPrefix + offset,
        JSON.stringify({ '@timestamp': now, message: text, component: this.component, parse_error: 'klog' }),
        offset,
        endOffset,
      );
      return;
    }
    this.idle();
    this.pending = { head, message: text.slice(head.length), offset, endOffset };
  }

  idle(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    const { head } = p;
    this.emitter.document(
      'logs',
      head.timestamp,
      this.emitter.idPrefix + p.offset,
      JSON.stringify({
        '@timestamp': head.timestamp,
        message: p.message,
        severity: head.severity,
        component: this.component,
        klog: { pid: head.pid, file: head.file, line: head.line },
      }),
      p.offset,
      p.endOffset,
    );
  }

  end(): void {
    this.idle();
  }

  reset(): void {
    this.pending = undefined;
  }
}
