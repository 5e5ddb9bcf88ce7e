import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AgentProcess } from './agent-process.ts';

// The log shipper's torture run, shared by the test suite (short, in one process) and
// bench/logs-torture (full size; writer and sink in processes of their own): container logs
// written at a steady rate with unique ids, rotated like kubelet (rename, later gzip, delete beyond
// 5 files) or like logrotate (copytruncate, delaycompress, 5 copies), some messages split into CRI
// P/F pieces (some across a rotation), the agent killed with SIGKILL at random moments and
// restarted, the sink down for a while. Afterwards every id is looked up in the sink.

/** How a file is rotated. */
export type Rotation = 'rename' | 'copytruncate';

/** Files kept per log, the live one included (kubelet's containerLogMaxFiles default, logrotate `rotate 4`). */
const keepFiles = 5;

/** Small seeded generator, so that a failing schedule can be run again. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seqs [first, end) of one file's messages that a rotated file held when the rotation deleted it. */
export interface DeletedGeneration {
  /** When it was deleted (ms since epoch). */
  at: number;
  name: string;
  first: number;
  end: number;
}

/** The text of message `seq` of a log named `name` as written whole (F) or split into P/P/F pieces. */
export function tortureMessage(name: string, seq: number, padding: string, split: boolean, bad: boolean): string {
  const id = `${name}-${seq}`;
  const tail = bad ? ' BADMAP' : '';
  return split ? `${id} first-piece-${padding}/second-piece/third-piece${tail}` : `${id} ${padding}${tail}`;
}

/** One container log file, written with unique message ids and rotated at a size. */
export class TortureLog {
  readonly path: string;
  /** Every complete message written: id -> full text (only when recording). */
  readonly written = new Map<string, string>();
  /** Generations the rotation deleted. */
  readonly deleted: DeletedGeneration[] = [];
  rotations = 0;
  /** Messages written so far (the next message's seq). */
  seq = 0;
  /** Called when the rotation deleted a generation. */
  onDelete: ((generation: DeletedGeneration) => void) | undefined;
  private bytesSinceRotation = 0;
  /** Seq of the first message of the live file's content. */
  private liveFirst = 0;
  /** Rotated file name -> the seqs it holds. */
  private readonly held = new Map<string, { first: number; end: number }>();
  readonly name: string;
  private readonly rotation: Rotation;
  readonly padding: string;
  private readonly record: boolean;

  constructor(path: string, name: string, rotation: Rotation, lineBytes: number, record = true) {
    this.path = path;
    this.name = name;
    this.rotation = rotation;
    this.record = record;
    this.padding = 'x'.repeat(Math.max(0, lineBytes - 60));
    mkdirSync(dirname(path), { recursive: true });
  }

  /**
   * Appends `n` messages in one write. Every `splitEvery`-th is written as two P pieces and an F
   * piece; every `badEvery`-th carries BADMAP (a mapping error is injected for those).
   */
  write(n: number, splitEvery: number, badEvery: number): void {
    let text = '';
    const ts = new Date().toISOString().replace('Z', '000000Z');
    for (let i = 0; i < n; i++) {
      const seq = this.seq++;
      const bad = badEvery > 0 && this.seq % badEvery === 0;
      const split = splitEvery > 0 && this.seq % splitEvery === 0;
      const message = tortureMessage(this.name, seq, this.padding, split, bad);
      if (this.record) this.written.set(`${this.name}-${seq}`, message);
      if (split) {
        const [head, second, third] = splitPieces(message);
        text += `${ts} stdout P ${head}\n${ts} stdout P ${second}\n${ts} stdout F ${third}\n`;
      } else {
        text += `${ts} stdout F ${message}\n`;
      }
    }
    this.append(text);
  }

  private append(text: string): void {
    appendFileSync(this.path, text);
    this.bytesSinceRotation += Buffer.byteLength(text);
  }

  /**
   * Rotates when the file has grown by `bytes` since the last rotation; true when it did. With
   * `splitAcross`, a message's P pieces end the old generation and its F piece starts the new one.
   */
  rotateAt(bytes: number, splitAcross = false, badEvery = 0): boolean {
    if (this.bytesSinceRotation < bytes) return false;
    let finalPiece = '';
    const ts = new Date().toISOString().replace('Z', '000000Z');
    if (splitAcross) {
      const seq = this.seq++;
      const bad = badEvery > 0 && this.seq % badEvery === 0;
      const message = tortureMessage(this.name, seq, this.padding, true, bad);
      if (this.record) this.written.set(`${this.name}-${seq}`, message);
      const [head, second, third] = splitPieces(message);
      this.append(`${ts} stdout P ${head}\n${ts} stdout P ${second}\n`);
      finalPiece = `${ts} stdout F ${third}\n`;
    }
    this.bytesSinceRotation = 0;
    this.rotations++;
    if (this.rotation === 'rename') this.rotateLikeKubelet();
    else this.rotateLikeLogrotate();
    if (finalPiece) this.append(finalPiece);
    return true;
  }

  /** The live content became a rotated file called `name`. */
  private rotatedTo(name: string): void {
    this.held.set(name, { first: this.liveFirst, end: this.seq });
    this.liveFirst = this.seq;
  }

  private moved(from: string, to: string): void {
    const range = this.held.get(from);
    this.held.delete(from);
    if (range) this.held.set(to, range);
  }

  private removed(name: string): void {
    const range = this.held.get(name);
    this.held.delete(name);
    if (!range) return;
    const generation = { at: Date.now(), name, ...range };
    this.deleted.push(generation);
    this.onDelete?.(generation);
  }

  /** kubelet: compress rotated files but the newest, drop beyond the count, rename the live file away. */
  private rotateLikeKubelet(): void {
    const dir = dirname(this.path);
    const base = basename(this.path);
    const rotated = readdirSync(dir)
      .filter((n) => n.startsWith(`${base}.`) && !n.endsWith('.tmp'))
      .sort();
    for (const name of rotated.slice(0, -1)) {
      if (name.endsWith('.gz')) continue;
      gzipFile(join(dir, name));
      this.moved(join(dir, name), join(dir, `${name}.gz`));
    }
    const all = readdirSync(dir)
      .filter((n) => n.startsWith(`${base}.`) && !n.endsWith('.tmp'))
      .sort();
    for (const name of all.slice(0, Math.max(0, all.length - (keepFiles - 2)))) {
      rmSync(join(dir, name), { force: true });
      this.removed(join(dir, name));
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const to = `${this.path}.${stamp}.${String(this.rotations).padStart(4, '0')}`;
    renameSync(this.path, to);
    this.rotatedTo(to);
  }

  /** logrotate copytruncate with `rotate 4`, `compress` and `delaycompress`. */
  private rotateLikeLogrotate(): void {
    const at = (n: number): string => (n === 1 ? `${this.path}.1` : `${this.path}.${n}.gz`);
    rmSync(at(keepFiles - 1), { force: true });
    this.removed(at(keepFiles - 1));
    for (let n = keepFiles - 2; n >= 2; n--) {
      if (!existsSync(at(n))) continue;
      renameSync(at(n), at(n + 1));
      this.moved(at(n), at(n + 1));
    }
    if (existsSync(at(1))) {
      gzipFile(at(1), at(2));
      this.moved(at(1), at(2));
    }
    copyFileSync(this.path, at(1));
    truncateSync(this.path, 0);
    this.rotatedTo(at(1));
  }
}

/** The P, P and F pieces of a split message. */
function splitPieces(message: string): [string, string, string] {
  const a = message.indexOf('/') + 1;
  const b = message.indexOf('/', a) + 1;
  return [message.slice(0, a), message.slice(a, b), message.slice(b)];
}

/** Compresses like kubelet: to a temporary name, renamed, then the original removed. */
function gzipFile(path: string, to = `${path}.gz`): void {
  writeFileSync(`${to}.tmp`, gzipSync(readFileSync(path), { level: 1 }));
  renameSync(`${to}.tmp`, to);
  rmSync(path);
}

/** What was written, for counting what arrived: per log, its name, messages and format. */
export interface TortureExpectation {
  files: { name: string; count: number; padding: string }[];
  splitEvery: number;
  badEvery: number;
}

/** What a sink stored, counted against what was written. */
export interface Tally {
  /** Documents stored. */
  stored: number;
  /** Ids of messages written (BADMAP ones excepted) and not stored. */
  missing: string[];
  /** Documents beyond the first of each message (stored twice or more). */
  duplicates: number;
  /** Document ids and message ids of a few messages stored twice. */
  duplicateExamples: string[];
  /** Split messages stored without their pieces joined (pieces stored alone count too). */
  brokenSplits: number;
  /** Document ids and the start of a few of those. */
  brokenExamples: string[];
}

/** The expectation of logs written in this process. */
export function expectationOf(logs: readonly TortureLog[], splitEvery: number, badEvery: number): TortureExpectation {
  return { files: logs.map((l) => ({ name: l.name, count: l.seq, padding: l.padding })), splitEvery, badEvery };
}

/** True when message `seq` (0-based) carries BADMAP. */
export function isBad(seq: number, badEvery: number): boolean {
  return badEvery > 0 && (seq + 1) % badEvery === 0;
}

/** Counts stored documents (id and message text) against what was written. */
export function tallyDocuments(expected: TortureExpectation, docs: readonly { id: string; message: string }[]): Tally {
  const files = new Map(expected.files.map((f) => [f.name, { ...f, seen: new Uint16Array(f.count) }]));
  let brokenSplits = 0;
  const brokenExamples: string[] = [];
  const broken = (doc: { id: string; message: string }): void => {
    brokenSplits++;
    if (brokenExamples.length < 8)
      brokenExamples.push(`${doc.id} ${doc.message.slice(0, 24)}..${doc.message.slice(-24)}`);
  };
  const parsed = docs.map((doc) => {
    const space = doc.message.indexOf(' ');
    const id = space < 0 ? doc.message : doc.message.slice(0, space);
    const dash = id.lastIndexOf('-');
    const file = files.get(id.slice(0, dash));
    const seq = Number(id.slice(dash + 1));
    if (!file || !Number.isInteger(seq) || seq < 0 || seq >= file.count) {
      if (doc.message.startsWith('second-piece') || doc.message.startsWith('third-piece')) broken(doc);
      return undefined;
    }
    const bad = isBad(seq, expected.badEvery);
    if (
      doc.message !== tortureMessage(file.name, seq, file.padding, false, bad) &&
      doc.message !== tortureMessage(file.name, seq, file.padding, true, bad)
    )
      broken(doc);
    file.seen[seq] = Math.min(65535, file.seen[seq]! + 1);
    return { file, seq };
  });
  const missing: string[] = [];
  let duplicates = 0;
  for (const file of files.values()) {
    for (let seq = 0; seq < file.count; seq++) {
      const seen = file.seen[seq]!;
      if (seen > 1) duplicates += seen - 1;
      if (seen === 0 && !isBad(seq, expected.badEvery)) missing.push(`${file.name}-${seq}`);
    }
  }
  const duplicateExamples: string[] = [];
  for (let i = 0; i < docs.length && duplicateExamples.length < 8; i++) {
    const p = parsed[i];
    if (p && p.file.seen[p.seq]! > 1) duplicateExamples.push(`${docs[i]!.id} ${p.file.name}-${p.seq}`);
  }
  return { stored: docs.length, missing, duplicates, duplicateExamples, brokenSplits, brokenExamples };
}

/** The sink as the torture sees it. */
export interface TortureSink {
  /** Counts what the sink stored against what was written. */
  tally(expected: TortureExpectation): Promise<Tally>;
  /** Makes the sink unreachable, and back. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Items the sink answered as already stored (a re-send), when it can tell. */
  resent(): Promise<number>;
  /** Messages that went to the dead-letter file (their ids). */
  deadLettered(): string[];
}

/** How the writer writes: rate, length, rotation and message shapes. */
export interface WriteOptions {
  linesPerSecond: number;
  seconds: number;
  rotateBytes: number;
  splitEvery: number;
  badEvery: number;
  /** At some rotations a message's P pieces end the old generation and its F piece starts the new one. */
  splitAcrossRotation: boolean;
}

/** When the agent is killed and the sink is down, in ms after the start. */
export interface FaultPlan {
  killsAtMs: number[];
  /** A kill waits until the restarted agent has run this long (0: kills at their moments even while it starts). */
  minUpMs?: number;
  outage?: { fromMs: number; toMs: number };
}

/**
 * Kills at random moments (seeded), and the sink outage; one kill falls in the middle of the
 * outage: killed while reading is paused and files rotate, before the sink comes back.
 */
export function faultPlan(
  seed: number,
  seconds: number,
  kills: number,
  outage?: { atSecond: number; seconds: number },
): FaultPlan {
  const random = seededRandom(seed);
  const killsAtMs = Array.from({ length: kills }, () => Math.floor((0.05 + random() * 0.9) * seconds * 1000));
  if (!outage) return { killsAtMs: killsAtMs.sort((a, b) => a - b) };
  const fromMs = outage.atSecond * 1000;
  const toMs = fromMs + outage.seconds * 1000;
  if (kills > 0) killsAtMs[0] = Math.round((fromMs + toMs) / 2);
  return { killsAtMs: killsAtMs.sort((a, b) => a - b), outage: { fromMs, toMs } };
}

/** A time the agent was not running: from the kill until the restarted agent said it started. */
export interface Downtime {
  from: number;
  to: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the fault plan from `started` (ms since epoch): kills and restarts the agent (one after the
 * other), and independently of them takes the sink down and up (a slow restart never delays it).
 */
export async function runFaults(
  plan: FaultPlan,
  agent: AgentProcess,
  sink: TortureSink,
  started: number,
  log: (line: string) => void,
): Promise<Downtime[]> {
  const downtimes: Downtime[] = [];
  const at = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const until = async (ms: number): Promise<void> => {
    const wait = started + ms - Date.now();
    if (wait > 0) await sleep(wait);
  };
  const outage = async (): Promise<void> => {
    if (!plan.outage) return;
    await until(plan.outage.fromMs);
    log(`sink down at ${at()}`);
    await sink.down();
    await until(plan.outage.toMs);
    log(`sink up at ${at()}`);
    await sink.up();
  };
  const kills = async (): Promise<void> => {
    let upAt = 0;
    for (const killAt of plan.killsAtMs) {
      await until(Math.max(killAt, upAt + (plan.minUpMs ?? 0) - started));
      log(`kill -9 at ${at()}`);
      const from = Date.now();
      await agent.kill9();
      await agent.start();
      upAt = Date.now();
      downtimes.push({ from, to: upAt });
      log(`agent up again at ${at()}`);
    }
  };
  await Promise.all([outage(), kills()]);
  return downtimes;
}

/**
 * Writes the logs at the rate for the given time on a 50 ms clock (catching up when late) and
 * rotates them; returns how long writing took (longer than planned when the machine was too slow).
 */
export async function writeLogs(logs: readonly TortureLog[], options: WriteOptions): Promise<number> {
  const tickMs = 50;
  const ticks = Math.round((options.seconds * 1000) / tickMs);
  const perTick = options.linesPerSecond / (1000 / tickMs) / logs.length;
  const started = Date.now();
  let owed = 0;
  for (let tick = 0; tick < ticks; tick++) {
    const due = started + tick * tickMs;
    if (due > Date.now()) await sleep(due - Date.now());
    owed += perTick;
    const n = Math.floor(owed);
    owed -= n;
    for (const file of logs) {
      if (n > 0) file.write(n, options.splitEvery, options.badEvery);
      // Every other rotation splits a message across it.
      file.rotateAt(options.rotateBytes, options.splitAcrossRotation && file.rotations % 2 === 1, options.badEvery);
    }
  }
  return Date.now() - started;
}

/** Lost lines by cause. */
export interface LossCauses {
  /** In a generation the rotation deleted while the agent was down (kubelet would have deleted it too). */
  deletedWhileDown: number;
  /**
   * In a generation the rotation deleted while the agent ran and a kill -9 came before the agent had
   * read it (the descriptor that kept the deleted file readable died with the process).
   */
  deletedThenKilled: number;
  /** In a generation the rotation deleted while the agent ran, no kill after (its descriptor should have kept it). */
  deletedWhileUp: number;
  /** Never deleted: the shipper did not read or ship them. */
  notDeleted: number;
}

/** Sorts lost message ids by what happened to their generation. */
export function lossCauses(
  missing: readonly string[],
  deleted: ReadonlyMap<string, readonly DeletedGeneration[]>,
  downtimes: readonly Downtime[],
): LossCauses {
  const causes: LossCauses = { deletedWhileDown: 0, deletedThenKilled: 0, deletedWhileUp: 0, notDeleted: 0 };
  for (const id of missing) {
    const dash = id.lastIndexOf('-');
    const seq = Number(id.slice(dash + 1));
    const generation = deleted.get(id.slice(0, dash))?.find((g) => seq >= g.first && seq < g.end);
    if (!generation) causes.notDeleted++;
    else if (downtimes.some((d) => generation.at >= d.from && generation.at <= d.to)) causes.deletedWhileDown++;
    else if (downtimes.some((d) => d.from > generation.at)) causes.deletedThenKilled++;
    else causes.deletedWhileUp++;
  }
  return causes;
}

/** Size and faults of one run in this process. */
export interface TortureOptions extends WriteOptions {
  logs: TortureLog[];
  agent: AgentProcess;
  sink: TortureSink;
  kills: number;
  /** Sink outage: starts at this second of the run, for this long; one of the kills falls in its middle. */
  outage?: { atSecond: number; seconds: number };
  seed: number;
  /** How long to wait for the last lines after writing stopped. */
  settleMs: number;
  log?: (line: string) => void;
}

/** What a run found. */
export interface TortureResult {
  sent: number;
  arrived: number;
  lost: number;
  lostExamples: string[];
  causes: LossCauses;
  duplicates: number;
  duplicateExamples: string[];
  /** Distinct ids of BADMAP messages in the dead-letter file. */
  deadLettered: number;
  /** BADMAP messages written. */
  bad: number;
  brokenSplits: number;
  brokenExamples: string[];
  rotations: number;
  kills: number;
  resent: number;
  /** How long writing took, and the whole run. */
  writeSeconds: number;
  seconds: number;
}

/** Waits until everything arrived (or the time is up) and counts. */
export async function settle(
  sink: TortureSink,
  expected: TortureExpectation,
  settleMs: number,
): Promise<{ tally: Tally; sent: number; bad: Set<string>; deadLettered: number }> {
  const bad = new Set<string>();
  let sent = 0;
  for (const file of expected.files)
    for (let seq = 0; seq < file.count; seq++) {
      if (isBad(seq, expected.badEvery)) bad.add(`${file.name}-${seq}`);
      else sent++;
    }
  const deadline = Date.now() + settleMs;
  for (;;) {
    const tally = await sink.tally(expected);
    const dead = new Set(sink.deadLettered());
    const deadLettered = [...bad].filter((id) => dead.has(id)).length;
    if ((tally.missing.length === 0 && deadLettered === bad.size) || Date.now() > deadline)
      return { tally, sent, bad, deadLettered };
    await sleep(2000);
  }
}

/** Runs the schedule (writer and faults in this process), waits for the sink to settle and counts what arrived. */
export async function torture(options: TortureOptions): Promise<TortureResult> {
  const { logs, agent, sink } = options;
  const log = options.log ?? (() => undefined);
  const plan = faultPlan(options.seed, options.seconds, options.kills, options.outage);
  const started = Date.now();
  const [writeMs, downtimes] = await Promise.all([
    writeLogs(logs, options),
    runFaults(plan, agent, sink, started, log),
  ]);
  const expected = expectationOf(logs, options.splitEvery, options.badEvery);
  const { tally, sent, bad, deadLettered } = await settle(sink, expected, options.settleMs);
  const deleted = new Map(logs.map((l) => [l.name, l.deleted]));
  return {
    sent,
    arrived: sent - tally.missing.length,
    lost: tally.missing.length,
    lostExamples: tally.missing.slice(0, 10),
    causes: lossCauses(tally.missing, deleted, downtimes),
    duplicates: tally.duplicates,
    duplicateExamples: tally.duplicateExamples,
    deadLettered,
    bad: bad.size,
    brokenSplits: tally.brokenSplits,
    brokenExamples: tally.brokenExamples,
    rotations: logs.reduce((n, f) => n + f.rotations, 0),
    kills: downtimes.length,
    resent: await sink.resent(),
    writeSeconds: writeMs / 1000,
    seconds: (Date.now() - started) / 1000,
  };
}
