import { stat } from 'node:fs/promises';
import type { Logger } from '../../../core/log.ts';
import type { LogsConfig } from '../config.ts';
import type { LineParser } from '../parsers/line-parser.ts';
import { AckTarget } from '../pipeline/ack.ts';
import type { CarriedPartial, PendingPartial } from '../pipeline/carried-partial.ts';
import type { FileEmitter } from '../pipeline/emitter.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import { FileReader, type ByteReader } from './byte-reader.ts';
import type { CheckpointStore, FileCheckpoint } from './checkpoint.ts';
import { fingerprintOf, generationIdKey, openVerified, stripRotationSuffix } from './identity.ts';
import { findByFingerprint, type Sibling } from './siblings.ts';

/** What a tail needs from its source. */
export interface TailContext {
  source: string;
  pipeline: Pipeline;
  checkpoints: CheckpointStore;
  tail: LogsConfig['tail'];
  /** Longest line kept whole; longer lines are cut there (and counted). */
  maxLineBytes: number;
  logger: Logger;
  /** Makes the emitter and parser of a generation once its first line is known. */
  makeParser(
    path: string,
    firstLine: Buffer,
    target: AckTarget,
    idPrefix: string,
  ): { emitter: FileEmitter; parser: LineParser };
  /** Adds lines, bytes and events read to the metrics. */
  count(lines: number, bytes: number, emitter: FileEmitter): void;
  /** copytruncate moved a generation into a copy: the source starts a tail that finds and finishes it. */
  copied(generation: Generation, predecessor: FileTail | undefined): FileTail;
  /** A tail found the file it reads (a copy located by its first line). */
  located(tail: FileTail): void;
  /** A generation cannot be read to its end (its copy is gone): logged and counted. */
  lost(entry: FileCheckpoint, reason: string): void;
  /**
   * Resolves when tails may read: at start, once every generation the checkpoints and the first
   * scan name is open (reading would slow the opening down, and the rotation deletes meanwhile).
   */
  opened: { done: boolean; promise: Promise<void> };
  /** Resolves after a scan that started after the call (a new generation at a path is followed by then). */
  freshScan(): Promise<void>;
}

/**
 * How a tail reads: `live` follows the file at a watched path (it may grow, be truncated or renamed
 * away); `rotated` is a renamed file (read to its end, closed after the grace time); `copy` is a
 * generation whose content is in a copy beside its path (copytruncate) or in a compressed file,
 * found by its first line and complete.
 */
export type TailKind = 'live' | 'rotated' | 'copy';

/** The reading state of one generation (one content of one file), handed from a live tail to its copy. */
export interface Generation {
  entry: FileCheckpoint;
  fingerprint: Buffer;
  target: AckTarget;
  parser: LineParser;
  emitter: FileEmitter;
  /** File offset of the next byte to read (the start of an unfinished line). */
  position: number;
  /** Inside a line longer than maxLineBytes: skip to its newline. */
  discarding: boolean;
  /** Size the file was last seen with while it held this generation (0 when unknown). */
  knownSize: number;
  /** Set when the generation was read to its end: once acknowledged up to here, it is finished. */
  endPosition?: number;
}

/** Where a tail starts. */
export interface TailStart {
  kind: TailKind;
  /** Byte offset to start reading at when the generation is new. */
  offset: number;
  /** The generation, when known from a checkpoint. */
  checkpoint?: FileCheckpoint;
  /** A generation handed over by a live tail (copytruncate). */
  generation?: Generation;
  /** When the generation began, if known better than "now" (a rotated file found late sorts before the live one). */
  createdAt?: number;
  /** Reads only after this tail has read its own generation to its end (generations in order). */
  predecessor?: FileTail;
}

const minBuffer = 64 * 1024;
const newline = 10;

/**
 * Follows one generation of a log file from a start offset: reads large chunks, splits lines by
 * scanning the buffer, hands complete lines to the parser and keeps partial ones for the next read.
 * Generations of one path are read in order (a tail waits until its predecessor was read to its
 * end). While it waits (for the predecessor or because the pipeline is full) a live tail still
 * watches its file: it registers the generation (checkpoint at the start offset) as soon as the
 * first line is complete, and it notices copytruncate (a smaller size, or another first line, also
 * checked after each read so that new content is never taken for the old) and hands the old
 * generation to a tail of its copy. A renamed or deleted file stays readable through the open
 * descriptor until it is read to its end. The checkpoint moves only when the sink acknowledged.
 */
export class FileTail {
  /** "<dev>:<ino>" of the file being read (empty while a copy is not located). */
  key: string;
  path: string;
  readonly kind: TailKind;
  /** Set once the generation was read to its end (or given up) and the file closed. */
  finished = false;
  /** Resolves when the generation was read to its end (a successor may start). */
  readonly drained: Promise<void>;
  private markDrained!: () => void;
  private isDrained = false;
  private readonly ctx: TailContext;
  private reader: ByteReader | undefined;
  private buf = Buffer.allocUnsafe(minBuffer);
  /** File offset of buf[0]. */
  private filePos: number;
  /** Bytes at the start of buf that are a line not yet complete. */
  private carry = 0;
  private discarding = false;
  private gen: Generation | undefined;
  private checkpoint: FileCheckpoint | undefined;
  private predecessor: FileTail | undefined;
  /** The next generation of the path (it waits for this one); takes a message whose F piece is there. */
  private successor: FileTail | undefined;
  /** A message carried in from the previous generation before this one was identified. */
  private inherited: CarriedPartial | undefined;
  /** Position at which a pending message went to the successor (it acknowledges this generation's end). */
  private handedAt: number | undefined;
  private rotated: boolean;
  private eofSince = 0;
  private locateSince = 0;
  private locateAttempts = 0;
  private scannedForSuccessor = false;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private capacityWait: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private lastSize = 0;
  private lastReadFull = false;
  private readonly createdAt: number | undefined;

  constructor(ctx: TailContext, path: string, key: string, start: TailStart) {
    this.ctx = ctx;
    this.path = path;
    this.key = key;
    this.kind = start.kind;
    this.rotated = start.kind !== 'live';
    this.filePos = start.generation?.position ?? start.checkpoint?.offset ?? start.offset;
    this.checkpoint = start.checkpoint ?? start.generation?.entry;
    this.linkAfter(start.predecessor);
    this.createdAt = start.createdAt;
    if (start.generation) {
      this.gen = start.generation;
      this.discarding = start.generation.discarding;
    }
    this.drained = new Promise((resolve) => {
      this.markDrained = resolve;
    });
  }

  /** Bytes of the file not yet acknowledged. */
  get lag(): number {
    return this.gen ? Math.max(0, this.lastSize - this.gen.target.acknowledged) : 0;
  }

  /** True when every read event is acknowledged. */
  get settled(): boolean {
    return !this.gen || this.gen.target.inFlight === 0;
  }

  /** The generation being read, once identified. */
  get generation(): Generation | undefined {
    return this.gen;
  }

  /** The checkpoint of the generation this tail reads, once known. */
  get entry(): FileCheckpoint | undefined {
    return this.gen?.entry ?? this.checkpoint;
  }

  /**
   * Opens the file and starts reading; resolves once open. A copy whose file is known (key set) is
   * opened at once too, so that its descriptor keeps it when the rotation deletes it; one not known
   * (or gone already) is looked for by the loop.
   */
  async start(): Promise<void> {
    const known = this.checkpoint ? Buffer.from(this.checkpoint.fingerprint, 'base64') : undefined;
    if (this.kind === 'live' || !known) {
      this.reader = await FileReader.open(this.path);
    } else if (this.kind === 'rotated') {
      this.reader = await openVerified(this.path, known);
      if (!this.reader) throw new Error(`${this.path} no longer holds the generation it was found as`);
    } else if (this.key !== '') {
      this.reader = await openVerified(this.path, known);
      if (!this.reader) this.key = '';
    }
    this.loop = this.run()
      .catch((error: unknown) => {
        this.ctx.logger.error(
          { err: error, path: this.path },
          'Tailing stopped on an error; the file will be picked up again by the next scan.',
        );
        this.finished = true;
      })
      .finally(() => this.drain());
  }

  /** Wakes the tail when it waits. */
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

  /** Makes this tail (not reading yet) wait for `predecessor` too. */
  after(predecessor: FileTail | undefined): void {
    if (predecessor && predecessor !== this) this.linkAfter(predecessor);
  }

  /** Puts `tail` before this one when this one has not started reading; otherwise they read side by side. */
  insertBefore(tail: FileTail): void {
    if (!this.predecessor && this.gen && this.filePos > (this.checkpoint?.offset ?? 0)) return;
    tail.after(this.predecessor);
    this.linkAfter(tail);
  }

  private linkAfter(predecessor: FileTail | undefined): void {
    this.predecessor = predecessor;
    if (predecessor) predecessor.successor = this;
  }

  /**
   * Takes a message whose P pieces ended the previous generation, when this generation starts at
   * its first byte and nothing of it was read yet (its first line is the F piece).
   */
  private inherit(carried: CarriedPartial): boolean {
    if (this.finished || this.filePos !== 0 || this.carry !== 0 || this.inherited) return false;
    if (this.gen) {
      if (this.gen.emitter.inherited) return false;
      this.gen.emitter.inherited = carried;
    } else {
      this.inherited = carried;
    }
    return true;
  }

  /**
   * The generation ends (read to its end after rotation): pending messages go out, except one still
   * waiting for its F piece, which goes to the next generation when there is one to take it.
   */
  private endGeneration(gen: Generation): void {
    gen.emitter.handOff = (partial: PendingPartial) => {
      const endPosition = this.filePos;
      const { emitter } = gen;
      const carried: CarriedPartial = {
        ...partial,
        idPrefix: emitter.idPrefix,
        target: gen.target,
        endPosition,
        abandon: () => {
          emitter.error('partial_unfinished');
          const { timestamp: ts, message: m } = partial;
          emitter.container(
            ts,
            0,
            ts.length,
            partial.stderr,
            m,
            0,
            m.length,
            partial.offset,
            endPosition,
            partial.truncated,
          );
          this.ctx.count(0, 0, emitter);
        },
      };
      if (!this.successor?.inherit(carried)) return false;
      this.handedAt = this.filePos;
      gen.endPosition = this.filePos;
      return true;
    };
    try {
      gen.parser.end();
    } finally {
      gen.emitter.handOff = undefined;
    }
  }

  /** Stops reading and closes the file. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    await this.reader?.close().catch(() => undefined);
    this.reader = undefined;
  }

  private drain(): void {
    // Never identified (its file is gone): a message carried in ends here.
    const inherited = this.inherited;
    this.inherited = undefined;
    if (this.finished) inherited?.abandon();
    else this.inherited = inherited;
    if (this.isDrained) return;
    this.isDrained = true;
    this.markDrained();
  }

  /** Waits up to the poll interval (or until woken, or until `until` settles). */
  private async nap(until?: Promise<unknown>): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.ctx.tail.pollIntervalMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.wakeUp = done;
      void until?.then(done, done);
    });
    this.wakeUp = undefined;
  }

  /** True when this tail may read now; otherwise waits a poll interval at most (the caller checks the file again). */
  private async turn(): Promise<boolean> {
    if (!this.ctx.opened.done) {
      await this.nap(this.ctx.opened.promise);
      return false;
    }
    const predecessor = this.predecessor;
    if (predecessor) {
      if (!predecessor.isDrained) {
        await this.nap(predecessor.drained);
        return false;
      }
      this.predecessor = undefined;
    }
    if (this.ctx.pipeline.hasRoom()) return true;
    this.capacityWait ??= this.ctx.pipeline.capacity().then(() => {
      this.capacityWait = undefined;
    });
    await this.nap(this.capacityWait);
    return false;
  }

  private async run(): Promise<void> {
    const { tail } = this.ctx;
    let idleNotified = false;
    while (!this.stopped) {
      if (!this.reader && !(await this.locate())) {
        if (this.finished) return;
        await this.nap();
        continue;
      }
      if (!this.gen && !(await this.identify())) {
        if (this.finished) return;
        await this.nap();
        continue;
      }
      if (this.kind === 'live' && !this.rotated && !this.lastReadFull) {
        const st = await (this.reader as FileReader).handle.stat();
        this.lastSize = st.size;
        if (st.nlink === 0) this.rotated = true;
        else if (st.size < this.filePos + this.carry || !(await this.headMatches())) {
          this.replaced();
          continue;
        }
      }
      if (!(await this.turn())) {
        this.lastReadFull = false;
        continue;
      }
      if (this.stopped) break;
      this.lastReadFull = false;
      const n = await this.readChunk();
      if (n < 0) {
        this.replaced();
        continue;
      }
      if (n > 0) {
        idleNotified = false;
        this.eofSince = 0;
        continue;
      }
      if (!idleNotified) {
        this.gen!.parser.idle();
        idleNotified = true;
      }
      if (this.kind === 'copy' || this.rotated) {
        if (this.eofSince === 0) this.eofSince = Date.now();
        const graceOver = Date.now() - this.eofSince >= tail.rotatedGraceSeconds * 1000;
        // The next generation reads once this one is at its end; a message whose F piece is there
        // goes with it, so wait (up to the grace time, and a scan after it) until that generation is known.
        if (!this.isDrained && !this.successor && graceOver && !this.scannedForSuccessor) {
          this.scannedForSuccessor = true;
          await this.ctx.freshScan();
          continue;
        }
        if (!this.isDrained && (this.successor || graceOver)) {
          this.endGeneration(this.gen!);
          this.drain();
        }
        if (this.kind === 'copy' ? this.isDrained : graceOver) {
          this.finish();
          return;
        }
      } else {
        await this.checkPath();
      }
      if (this.buf.length > minBuffer && this.carry === 0) this.buf = Buffer.allocUnsafe(minBuffer);
      await this.nap();
    }
  }

  private async checkPath(): Promise<void> {
    try {
      const st = await stat(this.path);
      if (`${st.dev}:${st.ino}` !== this.key) this.rotated = true;
    } catch {
      this.rotated = true;
    }
  }

  /** A copy tail looks for the file holding its generation by the first line; gives up (counted) after a while. */
  private async locate(): Promise<boolean> {
    const entry = this.checkpoint!;
    if (this.locateSince === 0) this.locateSince = Date.now();
    const fingerprint = Buffer.from(entry.fingerprint, 'base64');
    let found: Sibling | undefined;
    try {
      found = await findByFingerprint(entry.origin, fingerprint, this.ctx.tail.fingerprintBytes);
    } catch {
      found = undefined;
    }
    if (found) this.reader = await openVerified(found.path, fingerprint);
    if (found && this.reader) {
      this.key = found.key;
      this.path = found.path;
      entry.path = found.path;
      this.ctx.located(this);
      return true;
    }
    // logrotate copies before it truncates, so a copy is there or was rotated on (found above); wait the
    // grace time for a slow one, and look three times at least (a loaded machine may take longer than that).
    this.locateAttempts++;
    if (this.locateAttempts < 3 || Date.now() - this.locateSince < this.ctx.tail.rotatedGraceSeconds * 1000)
      return false;
    // Truncated in place after everything it had was read: nothing is missing.
    if (!this.gen || this.gen.position < this.gen.knownSize) this.ctx.lost(entry, 'copy_not_found');
    else this.ctx.logger.debug({ path: entry.origin }, 'File truncated in place after it was read to its end.');
    this.gen?.parser.end();
    entry.finished = true;
    this.ctx.checkpoints.touch();
    this.finished = true;
    return false;
  }

  /** True when the file still starts with the first line of the generation being read. */
  private async headMatches(): Promise<boolean> {
    const fp = this.gen!.fingerprint;
    const head = Buffer.allocUnsafe(fp.length);
    const n = await this.reader!.read(head, 0, fp.length, 0);
    return n === fp.length && head.equals(fp);
  }

  /**
   * Learns the generation: from the checkpoint it was started with, or from the first line once it
   * is complete (a generation known under that identity resumes at its acknowledged offset). The
   * checkpoint entry exists from here on, so a restart finds the generation even if nothing of it
   * was read.
   */
  private async identify(): Promise<boolean> {
    const { ctx } = this;
    let entry = this.checkpoint;
    let fingerprint: Buffer;
    if (entry) {
      fingerprint = Buffer.from(entry.fingerprint, 'base64');
    } else {
      const max = ctx.tail.fingerprintBytes;
      const head = Buffer.allocUnsafe(max);
      const n = await this.reader!.read(head, 0, max, 0);
      const fp = fingerprintOf(head, n, max);
      if (!fp) return false;
      fingerprint = fp;
      const origin = this.kind === 'live' ? this.path : stripRotationSuffix(this.path);
      const idKey = generationIdKey(origin, fingerprint);
      entry =
        ctx.checkpoints.get(idKey) ??
        ctx.checkpoints.byInode(this.key, ctx.source).find((e) => !e.copied && e.fingerprint === fp.toString('base64'));
      if (entry) {
        this.filePos = entry.offset;
        entry.finished = false;
      } else {
        const now = Date.now();
        entry = {
          key: this.key,
          source: ctx.source,
          path: this.path,
          origin,
          fingerprint: fingerprint.toString('base64'),
          idKey,
          offset: this.filePos,
          createdAt: this.createdAt ?? now,
          seenAt: now,
        };
      }
      ctx.checkpoints.set(entry);
    }
    this.checkpoint = entry;
    const current = entry;
    const target: AckTarget = new AckTarget(this.filePos, (position) => {
      current.offset = position;
      current.seenAt = Date.now();
      if (generation.endPosition !== undefined && position >= generation.endPosition) current.finished = true;
      ctx.checkpoints.touch();
    });
    const { emitter, parser } = ctx.makeParser(entry.origin, fingerprint, target, `${entry.idKey}-`);
    const generation: Generation = {
      entry,
      fingerprint,
      target,
      parser,
      emitter,
      position: this.filePos,
      discarding: false,
      knownSize: 0,
    };
    this.gen = generation;
    if (this.inherited) {
      emitter.inherited = this.inherited;
      this.inherited = undefined;
      // Resumed past its start: the F piece was read before, so the carried message ends as it is.
      if (this.filePos !== 0) parser.end();
    }
    return true;
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

  /** Reads and consumes one chunk: bytes read, 0 at the end, -1 when the file turned out to have other content. */
  private async readChunk(): Promise<number> {
    this.makeRoomForRead();
    const want = this.buf.length - this.carry;
    const n = await this.reader!.read(this.buf, this.carry, want, this.filePos + this.carry);
    if (n === 0) return 0;
    // What was read belongs to this generation only if the file still starts with its first line now.
    if (this.kind === 'live' && !this.rotated && !(await this.headMatches())) return -1;
    this.lastReadFull = n === want && this.buf.length >= this.ctx.tail.readBufferBytes;
    this.consume(n);
    if (this.filePos + this.carry > this.lastSize) this.lastSize = this.filePos + this.carry;
    if (this.carry + n >= this.buf.length && this.buf.length < this.ctx.tail.readBufferBytes) {
      const bigger = Buffer.allocUnsafe(this.ctx.tail.readBufferBytes);
      this.buf.copy(bigger, 0, 0, this.carry);
      this.buf = bigger;
    }
    return n;
  }

  /** Splits the bytes just read (after the carried partial line) into lines. */
  private consume(bytesRead: number): void {
    const buf = this.buf;
    const end = this.carry + bytesRead;
    const view = buf.subarray(0, end);
    const { parser, emitter } = this.gen!;
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
      emitter.skip(this.filePos + start);
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
    this.ctx.count(lines, start, emitter);
  }

  /** A line longer than maxLineBytes: its first maxLineBytes go out as a line, the rest is skipped. */
  private cutLongLine(): void {
    const { parser, emitter } = this.gen!;
    emitter.error('line_too_long');
    parser.line(this.buf, 0, this.carry, this.filePos, this.filePos + this.carry);
    this.filePos += this.carry;
    this.carry = 0;
    this.discarding = true;
  }

  /**
   * The inode now has other content (copytruncate): the generation read so far goes, with its
   * parser state (a message waiting for its F piece included), to a tail of its copy, which reads
   * the rest; this tail starts the new generation at offset 0 once that copy is read.
   */
  private replaced(): void {
    const gen = this.gen;
    this.ctx.logger.debug(
      { path: this.path, at: this.filePos },
      'File truncated or replaced; the old content is read from its copy.',
    );
    if (gen) {
      gen.position = this.filePos;
      gen.discarding = this.discarding;
      gen.knownSize = this.lastSize;
      gen.entry.copied = true;
      this.ctx.checkpoints.touch();
      this.linkAfter(this.ctx.copied(gen, this.predecessor));
    }
    this.gen = undefined;
    this.checkpoint = undefined;
    this.filePos = 0;
    this.carry = 0;
    this.discarding = false;
    this.lastReadFull = false;
  }

  /** Ships a last line that has no newline (the file ends for good). */
  private flushCarry(): void {
    const gen = this.gen!;
    if (this.carry > 0 && !this.discarding) {
      gen.parser.line(this.buf, 0, this.carry, this.filePos, this.filePos + this.carry);
      this.ctx.count(1, this.carry, gen.emitter);
      this.filePos += this.carry;
      this.carry = 0;
    }
  }

  /** The generation was read to its end: pending messages go out, and once acknowledged to here it is finished. */
  private finish(): void {
    const gen = this.gen;
    if (gen) {
      this.flushCarry();
      this.endGeneration(gen);
      // After a hand-off, the successor acknowledges this generation's end with the joined message.
      if (this.handedAt === undefined || this.filePos > this.handedAt) {
        gen.endPosition = this.filePos;
        this.ctx.pipeline.advance(gen.target, this.filePos);
      }
    }
    this.finished = true;
    this.drain();
    void this.reader?.close().catch(() => undefined);
    this.reader = undefined;
  }
}
