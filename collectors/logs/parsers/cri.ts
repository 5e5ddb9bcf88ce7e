import { maxPieceGapMs, type CarriedPartial } from '../pipeline/carried-partial.ts';
import type { FileEmitter } from '../pipeline/emitter.ts';
import type { LineParser } from './line-parser.ts';

const space = 32;
const P = 0x50;
const F = 0x46;

/** True when bytes [start, end) look like the start of an RFC 3339 timestamp (YYYY-MM-DDT). */
function looksLikeTimestamp(buf: Buffer, start: number, end: number): boolean {
  return (
    end - start >= 20 && end - start <= 40 && buf[start + 4] === 45 && buf[start + 7] === 45 && buf[start + 10] === 84
  );
}

/** True when a line written at `next` can be the F piece of pieces written at `last` (see {@link maxPieceGapMs}). */
function continues(last: Buffer, next: string): boolean {
  const gap = Date.parse(next) - Date.parse(last.toString('latin1'));
  return gap >= -maxPieceGapMs && gap <= maxPieceGapMs;
}

/**
 * CRI log lines: `<RFC3339Nano> <stdout|stderr> <P|F> <message>` (containerd and CRI-O, any UTC
 * offset). P pieces are joined until the F piece, up to maxMessageBytes (the rest is cut and
 * counted); the event takes the timestamp and offset of its first piece. Lines that are not CRI are
 * shipped whole with the time they were read, and counted. P pieces at the end of a generation go
 * to the next generation of the path (through the emitter's handOff) and are joined with its F
 * piece there, under the id they have in the first generation.
 */
export class CriParser implements LineParser {
  private readonly emitter: FileEmitter;
  private readonly maxMessageBytes: number;
  private partial = Buffer.allocUnsafe(0);
  private partialLength = 0;
  private partialOffset = -1;
  private partialStderr = false;
  private partialTruncated = false;
  private partialTs = Buffer.allocUnsafe(40);
  private partialTsLength = 0;
  /** File offset after the last piece joined so far. */
  private partialEnd = 0;
  /** The pending message came from the previous generation: its id and acknowledgement are there. */
  private carriedFrom: Pick<CarriedPartial, 'idPrefix' | 'target' | 'endPosition'> | undefined;

  constructor(emitter: FileEmitter, maxMessageBytes: number) {
    this.emitter = emitter;
    this.maxMessageBytes = maxMessageBytes;
  }

  line(buf: Buffer, start: number, end: number, offset: number, endOffset: number): void {
    const sp1 = buf.indexOf(space, start);
    const cri = sp1 >= 0 && sp1 < end && looksLikeTimestamp(buf, start, sp1) && sp1 + 7 <= end;
    const inherited = this.emitter.inherited;
    if (inherited) {
      this.emitter.inherited = undefined;
      if (cri && continues(inherited.timestamp, buf.toString('latin1', start, sp1))) this.adopt(inherited);
      else inherited.abandon();
    }
    if (!cri) {
      this.garbage(buf, start, end, offset, endOffset);
      return;
    }
    const stderr = buf[sp1 + 1] === 0x73 && buf[sp1 + 4] === 0x65; // "stderr" vs "stdout"
    const sp2 = sp1 + 7;
    if (sp2 < end && buf[sp2] !== space) {
      this.garbage(buf, start, end, offset, endOffset);
      return;
    }
    let tag = F;
    let msgStart = Math.min(sp2 + 1, end);
    const t = buf[sp2 + 1];
    if (sp2 + 1 < end && (t === P || t === F) && (sp2 + 2 === end || buf[sp2 + 2] === space)) {
      tag = t;
      msgStart = Math.min(sp2 + 3, end);
    }
    if (tag === P) {
      if (this.partialOffset < 0) {
        this.partialOffset = offset;
        this.partialStderr = stderr;
        this.partialTsLength = buf.copy(this.partialTs, 0, start, sp1);
      }
      this.append(buf, msgStart, end);
      this.partialEnd = endOffset;
      return;
    }
    if (this.partialOffset >= 0) {
      this.append(buf, msgStart, end);
      this.emitPartial(endOffset);
      this.reset();
      return;
    }
    this.emitter.container(buf, start, sp1, stderr, buf, msgStart, end, offset, endOffset, false);
  }

  /** Takes a message carried in from the previous generation as the pending one. */
  private adopt(carried: CarriedPartial): void {
    this.reset();
    this.partialOffset = carried.offset;
    this.partialStderr = carried.stderr;
    this.partialTsLength = carried.timestamp.copy(this.partialTs, 0, 0, Math.min(carried.timestamp.length, 40));
    this.partialTruncated = carried.truncated;
    this.append(carried.message, 0, carried.message.length);
    this.partialEnd = 0;
    this.carriedFrom = carried;
  }

  private emitPartial(endOffset: number): void {
    if (this.carriedFrom) {
      this.emitter.containerCarried(
        this.carriedFrom,
        this.partialTs,
        this.partialTsLength,
        this.partialStderr,
        this.partial,
        this.partialLength,
        this.partialOffset,
        endOffset,
        this.partialTruncated,
      );
      return;
    }
    this.emitter.container(
      this.partialTs,
      0,
      this.partialTsLength,
      this.partialStderr,
      this.partial,
      0,
      this.partialLength,
      this.partialOffset,
      endOffset,
      this.partialTruncated,
    );
  }

  private append(buf: Buffer, start: number, end: number): void {
    let n = end - start;
    if (this.partialLength + n > this.maxMessageBytes) {
      n = Math.max(0, this.maxMessageBytes - this.partialLength);
      if (!this.partialTruncated) {
        this.partialTruncated = true;
        this.emitter.error('partial_truncated');
      }
    }
    if (n === 0) return;
    if (this.partialLength + n > this.partial.length) {
      const next = Buffer.allocUnsafe(
        Math.min(this.maxMessageBytes, Math.max(64 * 1024, (this.partialLength + n) * 2)),
      );
      this.partial.copy(next, 0, 0, this.partialLength);
      this.partial = next;
    }
    this.partialLength += buf.copy(this.partial, this.partialLength, start, start + n);
  }

  private garbage(buf: Buffer, start: number, end: number, offset: number, endOffset: number): void {
    this.emitter.error('not_cri');
    const now = Buffer.from(new Date().toISOString());
    this.emitter.container(now, 0, now.length, false, buf, start, end, offset, endOffset, false);
  }

  idle(): void {
    this.emitter.flush();
  }

  end(): void {
    const inherited = this.emitter.inherited;
    this.emitter.inherited = undefined;
    inherited?.abandon();
    if (this.partialOffset >= 0) {
      // Carried once at most: a message whose pieces span three generations ends here.
      const handed =
        !this.carriedFrom &&
        this.emitter.handOff?.({
          timestamp: Buffer.from(this.partialTs.subarray(0, this.partialTsLength)),
          stderr: this.partialStderr,
          message: Buffer.from(this.partial.subarray(0, this.partialLength)),
          truncated: this.partialTruncated,
          offset: this.partialOffset,
        }) === true;
      if (!handed) {
        this.emitter.error('partial_unfinished');
        this.emitPartial(this.partialEnd);
      }
      this.reset();
    }
    this.emitter.flush();
  }

  reset(): void {
    this.partialLength = 0;
    this.partialOffset = -1;
    this.partialTruncated = false;
    this.carriedFrom = undefined;
    if (this.partial.length > 1 << 20) this.partial = Buffer.allocUnsafe(0);
  }
}
