import { createHash } from 'node:crypto';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../../../core/log.ts';
import type { LogsConfig } from '../config.ts';
import type { LineParser } from '../parsers/line-parser.ts';
import { AckTarget } from '../pipeline/ack.ts';
import type { FileEmitter } from '../pipeline/emitter.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { CheckpointStore, FileCheckpoint } from './checkpoint.ts';

/** What a tail needs from its source. */
export interface TailContext {
  source: string;
  pipeline: Pipeline;
  checkpoints: CheckpointStore;
  tail: LogsConfig['tail'];
  /** Longest line kept whole; longer lines are cut there (and counted). */
  maxLineBytes: number;
  logger: Logger;
  /** Makes the emitter and parser of a file once its first line is known. */
  makeParser(path: string, firstLine: Buffer, target: AckTarget, idPrefix: string): { emitter: FileEmitter; parser: LineParser };
  /** Told the identifying first line of every file identity the tail takes on. */
  identified(fingerprint: Buffer): void;
  /** Adds lines, bytes and events read to the metrics. */
  count(lines: number, bytes: number, emitter: FileEmitter): void;
}

/** Where a tail starts. */
export interface TailStart {
  /** Byte offset to start reading at. */
  offset: number;
  /** Identity known from a checkpoint. */
  checkpoint?: FileCheckpoint;
  /** The path no longer leads to this file (renamed away before a restart). */
  rotated?: boolean;
}

const minBuffer = 64 * 1024;
const newline = 10;

/** Identity hash of a file: device, inode and first line. */
function idKeyOf(dev: number, ino: number, fingerprint: Buffer): string {
  return createHash('sha1').update(`${dev}:${ino}:`).update(fingerprint).digest('base64url').slice(0, 16);
}

/**
 * Follows one file (one device and inode) from a start offset: reads large chunks, splits lines by
 * scanning the buffer, hands complete lines to the parser and keeps partial ones for the next read.
 * It notices truncation (size below the read position, or first line changed: copytruncate) and
 * then first reads the rest of the old content from the copy beside it, if there is one; it keeps
 * reading a renamed or deleted file until its end, and closes it after the grace time. Reading
 * waits while the pipeline is full. The checkpoint moves only when the sink acknowledged.
 */
export class FileTail {
  readonly key: string;
  path: string;
  readonly dev: number;
  readonly ino: number;
  /** Set once the file was read to its end after rotation/deletion, and closed. */
  finished = false;
  private readonly ctx: TailContext;
  private fd: FileHandle | undefined;
  private buf = Buffer.allocUnsafe(minBuffer);
  /** File offset of buf[0]. */
  private filePos: number;
  /** Bytes at the start of buf that are a line not yet complete. */
  private carry = 0;
  /** Inside a line longer than maxLineBytes: skip to its newline. */
  private discarding = false;
  private fingerprint: Buffer | undefined;
  private idKey: string | undefined;
  private target: AckTarget;
  private emitter: FileEmitter | undefined;
  private parser: LineParser | undefined;
  private rotated: boolean;
  private eofSince = 0;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private entry: FileCheckpoint | undefined;
  private lastSize = 0;
  private lastReadFull = false;

  constructor(ctx: TailContext, path: string, dev: number, ino: number, start: TailStart) {
    this.ctx = ctx;
    this.path = path;
    this.dev = dev;
    this.ino = ino;
    this.key = `${dev}:${ino}`;
    this.filePos = start.offset;
    this.rotated = start.rotated ?? false;
    this.entry = start.checkpoint;
    if (start.checkpoint) {
      this.fingerprint = Buffer.from(start.checkpoint.fingerprint, 'base64');
      this.idKey = start.checkpoint.idKey;
      ctx.identified(this.fingerprint);
    }
    this.target = this.newTarget(start.offset);
  }

  /** Bytes of the file not yet acknowledged. */
  get lag(): number {
    return Math.max(0, this.lastSize - this.target.acknowledged);
  }

  /** True when every read event is acknowledged. */
  get settled(): boolean {
    return this.target.inFlight === 0;
  }

  private newTarget(offset: number): AckTarget {
    const target: AckTarget = new AckTarget(offset, (position) => {
      // Acknowledgements of an identity the file no longer has (after copytruncate) do not move its checkpoint.
      if (target !== this.target || !this.entry) return;
      this.entry.offset = position;
      this.entry.seenAt = Date.now();
      this.ctx.checkpoints.touch();
    });
    return target;
  }

  /** Opens the file and starts reading; resolves once open. */
  async start(): Promise<void> {
    this.fd = await open(this.path, 'r');
    this.loop = this.run().catch((error: unknown) => {
      this.ctx.logger.error({ err: error, path: this.path }, 'Tailing stopped on an error; the file will be picked up again by the next scan.');
      this.finished = true;
    });
  }

  /** Wakes the tail when it waits at the end of the file. */
  wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  /** The path now leads elsewhere (or nowhere): finish the file after its end and the grace time. */
  markRotated(): void {
    this.rotated = true;
    this.wake();
  }

  /** Stops reading and closes the file. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    await this.fd?.close().catch(() => undefined);
    this.fd = undefined;
  }

  private async run(): Promise<void> {
    const { tail } = this.ctx;
    let idleNotified = false;
    while (!this.stopped) {
      await this.ctx.pipeline.capacity();
      if (this.stopped) break;
      const fd = this.fd!;
      if (this.lastReadFull) {
        // Still catching up: read on without the identity checks (they run again at the end).
        this.lastReadFull = false;
        await this.readChunk(fd);
        continue;
      }
      const st = await fd.stat();
      this.lastSize = st.size;
      if (st.size < this.filePos + this.carry || await this.replaced(fd, st.size)) {
        await this.restartAfterTruncation();
        continue;
      }
      if (st.size > this.filePos + this.carry) {
        idleNotified = false;
        this.eofSince = 0;
        await this.readChunk(fd);
        continue;
      }
      if (!idleNotified) {
        this.parser?.idle();
        idleNotified = true;
      }
      if (st.nlink === 0) this.rotated = true;
      if (this.rotated) {
        if (this.eofSince === 0) this.eofSince = Date.now();
        if (Date.now() - this.eofSince >= tail.rotatedGraceSeconds * 1000) {
          this.finish();
          return;
        }
      } else if (!this.rotated) {
        await this.checkPath();
      }
      if (this.buf.length > minBuffer && this.carry === 0) this.buf = Buffer.allocUnsafe(minBuffer);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, tail.pollIntervalMs);
        this.wakeUp = () => { clearTimeout(timer); resolve(); };
      });
      this.wakeUp = undefined;
    }
  }

  private async checkPath(): Promise<void> {
    try {
      const st = await stat(this.path);
      if (st.ino !== this.ino || st.dev !== this.dev) this.rotated = true;
    } catch {
      this.rotated = true;
    }
  }

  /** True when the first line is no longer the one that identifies this file. */
  private async replaced(fd: FileHandle, size: number): Promise<boolean> {
    const fp = this.fingerprint;
    if (!fp || fp.length === 0) return false;
    if (size < fp.length) return true;
    const head = Buffer.allocUnsafe(fp.length);
    const { bytesRead } = await fd.read(head, 0, fp.length, 0);
    return bytesRead < fp.length || !head.equals(fp);
  }

  /** Reads the identifying first line (up to fingerprintBytes) when it is complete. */
  private async ensureIdentity(fd: FileHandle): Promise<boolean> {
    if (this.idKey && this.fingerprint) return true;
    const max = this.ctx.tail.fingerprintBytes;
    const head = Buffer.allocUnsafe(max);
    const { bytesRead } = await fd.read(head, 0, max, 0);
    const nl = head.subarray(0, bytesRead).indexOf(newline);
    if (nl < 0 && bytesRead < max) return false;
    this.fingerprint = Buffer.from(head.subarray(0, nl < 0 ? max : nl + 1));
    this.idKey = idKeyOf(this.dev, this.ino, this.fingerprint);
    this.ctx.identified(this.fingerprint);
    this.entry = {
      key: this.key, source: this.ctx.source, path: this.path, fingerprint: this.fingerprint.toString('base64'),
      idKey: this.idKey, offset: this.target.acknowledged, seenAt: Date.now(),
    };
    this.ctx.checkpoints.set(this.entry);
    return true;
  }

  private ensureParser(firstLine: Buffer): void {
    if (this.parser) return;
    const made = this.ctx.makeParser(this.path, firstLine, this.target, `${this.idKey!}-`);
    this.parser = made.parser;
    this.emitter = made.emitter;
  }

  /** When the buffer is full of an unfinished line, grows it up to the line cap, then cuts the line. */
  private makeRoomForRead(): void {
    if (this.carry < this.buf.length) return;
    if (this.buf.length < this.ctx.maxLineBytes) {
      const bigger = Buffer.allocUnsafe(Math.min(this.ctx.maxLineBytes, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.carry);
      this.buf = bigger;
    } else {
      this.cutLongLine();
    }
  }

  private async readChunk(fd: FileHandle): Promise<void> {
    if (!(await this.ensureIdentity(fd))) {
      // The first line is still being written: wait for it.
      await new Promise((resolve) => setTimeout(resolve, this.ctx.tail.pollIntervalMs));
      return;
    }
    this.ensureParser(this.fingerprint!);
    this.makeRoomForRead();
    const want = this.buf.length - this.carry;
    const { bytesRead } = await fd.read(this.buf, this.carry, want, this.filePos + this.carry);
    if (bytesRead === 0) return;
    this.lastReadFull = bytesRead === want && this.buf.length >= this.ctx.tail.readBufferBytes;
    this.consume(bytesRead);
    if (this.filePos + this.carry > this.lastSize) this.lastSize = this.filePos + this.carry;
    if (this.carry + bytesRead >= this.buf.length && this.buf.length < this.ctx.tail.readBufferBytes) {
      const bigger = Buffer.allocUnsafe(this.ctx.tail.readBufferBytes);
      this.buf.copy(bigger, 0, 0, this.carry);
      this.buf = bigger;
    }
  }

  /** Splits the bytes just read (after the carried partial line) into lines. */
  private consume(bytesRead: number): void {
    const buf = this.buf;
    const end = this.carry + bytesRead;
    const view = buf.subarray(0, end);
    const parser = this.parser!;
    let start = 0;
    let lines = 0;
    let nl = view.indexOf(newline, this.carry);
    if (this.discarding) {
      if (nl < 0) {
        this.filePos += end;
        this.carry = 0;
        return;
      }
      this.discarding = false;
      start = nl + 1;
      this.emitter!.skip(this.filePos + start);
      nl = view.indexOf(newline, start);
    }
    const base = this.filePos;
    while (nl >= 0) {
      parser.line(buf, start, nl, base + start, base + nl + 1);
      lines++;
      start = nl + 1;
      nl = view.indexOf(newline, start);
    }
    const rest = end - start;
    if (start > 0 && rest > 0) buf.copyWithin(0, start, end);
    this.filePos += start;
    this.carry = rest;
    this.ctx.count(lines, start, this.emitter!);
  }

  /** A line longer than maxLineBytes: its first maxLineBytes go out as a line, the rest is skipped. */
  private cutLongLine(): void {
    this.emitter!.error('line_too_long');
    this.parser!.line(this.buf, 0, this.carry, this.filePos, this.filePos + this.carry);
    this.filePos += this.carry;
    this.carry = 0;
    this.discarding = true;
  }

  /** The same inode now has other content: read the old content's rest from its copy, then start over. */
  private async restartAfterTruncation(): Promise<void> {
    this.ctx.logger.debug({ path: this.path, at: this.filePos + this.carry }, 'File truncated or replaced; starting over.');
    await this.drainCopy();
    this.parser?.idle();
    this.parser?.reset();
    this.parser = undefined;
    this.emitter = undefined;
    this.fingerprint = undefined;
    this.idKey = undefined;
    this.filePos = 0;
    this.carry = 0;
    this.discarding = false;
    this.target = this.newTarget(0);
  }

  /** copytruncate leaves the old content in a sibling (name.1, name-2024...): read what we had not read yet. */
  private async drainCopy(): Promise<void> {
    const fp = this.fingerprint;
    if (!fp || fp.length === 0 || !this.idKey) return;
    this.ensureParser(fp);
    const dir = dirname(this.path);
    const base = basename(this.path);
    let names: string[];
    try { names = await readdir(dir); } catch { return; }
    for (const name of names) {
      if (name === base || !name.startsWith(base) || name.endsWith('.gz')) continue;
      let copy: FileHandle | undefined;
      try {
        copy = await open(join(dir, name), 'r');
        const head = Buffer.allocUnsafe(fp.length);
        const { bytesRead } = await copy.read(head, 0, fp.length, 0);
        if (bytesRead < fp.length || !head.equals(fp)) continue;
        const st = await copy.stat();
        if (st.size <= this.filePos + this.carry) return;
        while (true) {
          await this.ctx.pipeline.capacity();
          this.makeRoomForRead();
          const { bytesRead: n } = await copy.read(this.buf, this.carry, this.buf.length - this.carry, this.filePos + this.carry);
          if (n === 0) break;
          this.consume(n);
        }
        this.flushCarry();
        return;
      } catch {
        // Unreadable or gone: try the next candidate.
      } finally {
        await copy?.close().catch(() => undefined);
      }
    }
  }

  /** Ships a last line that has no newline (the file ends for good). */
  private flushCarry(): void {
    if (this.carry > 0 && this.parser && !this.discarding) {
      this.parser.line(this.buf, 0, this.carry, this.filePos, this.filePos + this.carry);
      this.ctx.count(1, this.carry, this.emitter!);
      this.filePos += this.carry;
      this.carry = 0;
    }
    this.parser?.idle();
  }

  private finish(): void {
    this.flushCarry();
    if (this.entry) {
      this.entry.finished = true;
      this.ctx.checkpoints.touch();
    }
    this.finished = true;
    void this.fd?.close().catch(() => undefined);
    this.fd = undefined;
  }
}
