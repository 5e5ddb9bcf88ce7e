import type { FileEmitter } from '../pipeline/emitter.ts';
import type { LineParser } from './line-parser.ts';

/**
 * Docker json-file lines: `{"log":"...\n","stream":"stdout","time":"..."}`. Pieces whose `log` does
 * not end with a newline are the 16 KiB parts of a longer line and are joined (up to
 * maxMessageBytes, the rest cut and counted).
 */
export class DockerParser implements LineParser {
  private readonly emitter: FileEmitter;
  private readonly maxMessageBytes: number;
  private partial:
    | { message: string; time: string; stderr: boolean; offset: number; endOffset: number; truncated: boolean }
    | undefined;

  constructor(emitter: FileEmitter, maxMessageBytes: number) {
    this.emitter = emitter;
    this.maxMessageBytes = maxMessageBytes;
  }

  line(buf: Buffer, start: number, end: number, offset: number, endOffset: number): void {
    let record: { log?: unknown; stream?: unknown; time?: unknown };
    try {
      record = JSON.parse(buf.toString('utf8', start, end)) as typeof record;
    } catch {
      record = {};
    }
    if (typeof record.log !== 'string') {
      this.emitter.error('not_docker');
      const now = Buffer.from(new Date().toISOString());
      this.emitter.container(now, 0, now.length, false, buf, start, end, offset, endOffset, false);
      return;
    }
    const complete = record.log.endsWith('\n');
    const piece = complete ? record.log.slice(0, -1) : record.log;
    const time = typeof record.time === 'string' ? record.time : new Date().toISOString();
    const stderr = record.stream === 'stderr';
    const p = this.partial ?? { message: '', time, stderr, offset, endOffset, truncated: false };
    p.endOffset = endOffset;
    if (p.message.length + piece.length > this.maxMessageBytes) {
      p.message += piece.slice(0, Math.max(0, this.maxMessageBytes - p.message.length));
      if (!p.truncated) {
        p.truncated = true;
        this.emitter.error('partial_truncated');
      }
    } else {
      p.message += piece;
    }
    if (!complete) {
      this.partial = p;
      return;
    }
    this.partial = undefined;
    const ts = Buffer.from(p.time);
    const msg = Buffer.from(p.message);
    this.emitter.container(ts, 0, ts.length, p.stderr, msg, 0, msg.length, p.offset, endOffset, p.truncated);
  }

  idle(): void {
    this.emitter.flush();
  }

  end(): void {
    const p = this.partial;
    if (p) {
      this.partial = undefined;
      this.emitter.error('partial_unfinished');
      const ts = Buffer.from(p.time);
      const msg = Buffer.from(p.message);
      this.emitter.container(ts, 0, ts.length, p.stderr, msg, 0, msg.length, p.offset, p.endOffset, p.truncated);
    }
    this.emitter.flush();
  }

  reset(): void {
    this.partial = undefined;
  }
}
