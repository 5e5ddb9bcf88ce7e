import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AckTarget } from '../pipeline/ack.ts';
import { appendWhole } from '../sinks/append.ts';

/** One segment file of the queue. */
interface Segment {
  n: number;
  path: string;
  size: number;
  target: AckTarget;
}

/** Position in the queue. */
export interface QueuePosition {
  segment: number;
  offset: number;
}

const segmentBytes = 16 * 1024 * 1024;

/** What opening found and repaired. */
export interface QueueOpen {
  /** Where an unusable state.json was moved. */
  movedStateTo?: string;
  /** Bytes of torn last lines cut off. */
  tornBytes: number;
}

/** A queue position from state.json, or undefined when the text is not one. */
function parsePosition(text: string): QueuePosition | undefined {
  try {
    const value = JSON.parse(text) as Partial<QueuePosition>;
    const ok =
      Number.isSafeInteger(value.segment) &&
      Number.isSafeInteger(value.offset) &&
      value.segment! >= 0 &&
      value.offset! >= 0;
    return ok ? { segment: value.segment!, offset: value.offset! } : undefined;
  } catch {
    return undefined;
  }
}

/** fsyncs a directory, so that a created or renamed file survives a crash. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function segmentName(n: number): string {
  return `seg-${String(n).padStart(8, '0')}.ndjson`;
}

/**
 * A bounded, durable FIFO of lines on disk: appends are fsynced before they resolve, a reader
 * takes lines in order, and the acknowledged position (persisted atomically in state.json) moves
 * when the sink has taken every line before it. Segments wholly acknowledged are deleted. After a
 * crash, reading starts again at the acknowledged position.
 */
export class DiskQueue {
  private readonly dir: string;
  private readonly maxBytes: number;
  private segments: Segment[] = [];
  private writer: FileHandle | undefined;
  private read: QueuePosition = { segment: 0, offset: 0 };
  private committed: QueuePosition = { segment: 0, offset: 0 };
  private appendChain: Promise<void> = Promise.resolve();
  private stateTimer: NodeJS.Timeout | undefined;
  private stateWrite: Promise<void> = Promise.resolve();
  private waiter: (() => void) | undefined;

  constructor(dir: string, maxBytes: number) {
    this.dir = dir;
    this.maxBytes = maxBytes;
  }

  /**
   * Opens the queue: existing segments from the acknowledged position on are read again. A state
   * file that does not parse is moved aside (the queue is then read from its oldest segment); a
   * segment whose last line is torn (a crash or a full disk mid-write) is cut back to its last
   * whole line. Both are reported in the result.
   */
  async open(): Promise<QueueOpen> {
    await mkdir(this.dir, { recursive: true });
    const result: QueueOpen = { tornBytes: 0 };
    const stateFile = join(this.dir, 'state.json');
    let text: string | undefined;
    try {
      text = await readFile(stateFile, 'utf8');
    } catch {
      text = undefined;
    }
    this.committed = { segment: 0, offset: 0 };
    if (text !== undefined) {
      const parsed = parsePosition(text);
      if (parsed) {
        this.committed = parsed;
      } else {
        result.movedStateTo = `${stateFile}.corrupt-${Date.now()}`;
        await rename(stateFile, result.movedStateTo);
      }
    }
    const numbers = (await readdir(this.dir))
      .map((f) => /^seg-(\d+)\.ndjson$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const n of numbers) {
      const path = join(this.dir, segmentName(n));
      if (n < this.committed.segment) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      const size = await this.cutTornTail(path, result);
      const start = n === this.committed.segment ? Math.min(this.committed.offset, size) : 0;
      this.segments.push({ n, path, size, target: this.newTarget(n, start) });
    }
    const first = this.segments[0];
    this.read = first
      ? { segment: first.n, offset: first.n === this.committed.segment ? first.target.acknowledged : 0 }
      : { segment: this.committed.segment, offset: this.committed.offset };
    await this.roll();
    return result;
  }

  /** Cuts a segment back to its last newline; returns its size. */
  private async cutTornTail(path: string, result: QueueOpen): Promise<number> {
    const handle = await open(path, 'r+');
    try {
      const { size } = await handle.stat();
      if (size === 0) return 0;
      const tail = Buffer.allocUnsafe(Math.min(size, 64 * 1024));
      let end = size;
      while (end > 0) {
        const from = Math.max(0, end - tail.length);
        const { bytesRead } = await handle.read(tail, 0, end - from, from);
        const nl = tail.subarray(0, bytesRead).lastIndexOf(10);
        if (nl >= 0) {
          end = from + nl + 1;
          break;
        }
        end = from;
      }
      if (end < size) {
        await handle.truncate(end);
        await handle.sync();
        result.tornBytes += size - end;
      }
      return end;
    } finally {
      await handle.close();
    }
  }

  private newTarget(n: number, start: number): AckTarget {
    return new AckTarget(start, () => this.scheduleState());
  }

  /** Bytes written and not yet acknowledged. */
  get pendingBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size - s.target.acknowledged;
    return total;
  }

  private async roll(): Promise<void> {
    await this.writer?.close();
    const n = (this.segments.at(-1)?.n ?? this.committed.segment) + 1;
    const path = join(this.dir, segmentName(n));
    this.writer = await open(path, 'a');
    await syncDir(this.dir);
    this.segments.push({ n, path, size: 0, target: this.newTarget(n, 0) });
  }

  /** Appends lines durably; false (nothing written) when the queue is full. */
  append(lines: readonly string[]): Promise<boolean> {
    const run = this.appendChain.then(async () => {
      const data = Buffer.from(lines.map((l) => `${l}\n`).join(''));
      if (this.pendingBytes + data.length > this.maxBytes) return false;
      let current = this.segments.at(-1)!;
      if (current.size > 0 && current.size + data.length > segmentBytes) {
        await this.roll();
        current = this.segments.at(-1)!;
      }
      // Whole or nothing: a failed write (full disk) is cut off again, so the next line never follows a torn one.
      await appendWhole(this.writer!, data, current.size, true);
      current.size += data.length;
      const wake = this.waiter;
      this.waiter = undefined;
      wake?.();
      return true;
    });
    this.appendChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Next lines after the read position (up to about maxBytes), each with the target and position
   * to acknowledge it with; waits until there are some or the signal aborts.
   */
  async take(maxBytes: number, signal: AbortSignal): Promise<{ line: string; target: AckTarget; end: number }[]> {
    for (;;) {
      if (signal.aborted) return [];
      const index = this.segments.findIndex((s) => s.n === this.read.segment);
      const segment = index >= 0 ? this.segments[index]! : this.segments.find((s) => s.n > this.read.segment);
      if (segment && segment.n !== this.read.segment) this.read = { segment: segment.n, offset: 0 };
      if (segment && this.read.offset < segment.size) {
        const handle = await open(segment.path, 'r');
        try {
          const length = Math.min(maxBytes, segment.size - this.read.offset);
          const buf = Buffer.allocUnsafe(length);
          const { bytesRead } = await handle.read(buf, 0, length, this.read.offset);
          const out: { line: string; target: AckTarget; end: number }[] = [];
          let start = 0;
          for (let nl = buf.indexOf(10); nl >= 0 && nl < bytesRead; nl = buf.indexOf(10, start)) {
            out.push({ line: buf.toString('utf8', start, nl), target: segment.target, end: this.read.offset + nl + 1 });
            start = nl + 1;
          }
          if (start === 0 && bytesRead === length && length === maxBytes) {
            // One line longer than maxBytes: take it whole.
            return await this.take(maxBytes * 2, signal);
          }
          this.read = { segment: segment.n, offset: this.read.offset + start };
          if (out.length > 0) return out;
        } finally {
          await handle.close();
        }
      }
      const later = this.segments.find((s) => s.n > this.read.segment);
      if (later && segment && this.read.offset >= segment.size && segment !== this.segments.at(-1)) {
        this.read = { segment: later.n, offset: 0 };
        continue;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  private scheduleState(): void {
    if (this.stateTimer) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      this.stateWrite = this.stateWrite.then(() => this.persist()).catch(() => undefined);
    }, 100);
  }

  private committedPosition(): QueuePosition {
    for (const s of this.segments) {
      if (s.target.inFlight > 0 || s.target.acknowledged < s.size || s === this.segments.at(-1))
        return { segment: s.n, offset: s.target.acknowledged };
    }
    return this.committed;
  }

  /** Writes the acknowledged position and deletes wholly acknowledged segments. */
  async persist(): Promise<void> {
    const position = this.committedPosition();
    const tmp = join(this.dir, 'state.json.tmp');
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(position));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(this.dir, 'state.json'));
    await syncDir(this.dir);
    this.committed = position;
    while (this.segments.length > 1 && this.segments[0]!.n < position.segment) {
      const done = this.segments.shift()!;
      await unlink(done.path).catch(() => undefined);
    }
  }

  /** Waits for pending appends and state writes, then closes. */
  async close(): Promise<void> {
    clearTimeout(this.stateTimer);
    this.stateTimer = undefined;
    await this.appendChain;
    await this.stateWrite;
    await this.persist();
    const wake = this.waiter;
    this.waiter = undefined;
    wake?.();
    await this.writer?.close();
    this.writer = undefined;
  }
}
