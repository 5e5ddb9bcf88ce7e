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

// The log shipper's torture run, shared by the test suite (short) and bench/logs/torture.ts (full
// size): container logs written at a steady rate with unique ids, rotated like kubelet (rename,
// later gzip, delete beyond 5 files) or like logrotate (copytruncate, delaycompress, 5 copies),
// some messages split into CRI P/F pieces, the agent killed with SIGKILL at random moments and
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

/** One container log file, written with unique message ids and rotated at a size. */
export class TortureLog {
  readonly path: string;
  /** Every complete message written: id -> full text. */
  readonly written = new Map<string, string>();
  rotations = 0;
  private seq = 0;
  private bytesSinceRotation = 0;
  private readonly name: string;
  private readonly rotation: Rotation;
  private readonly padding: string;

  constructor(path: string, name: string, rotation: Rotation, lineBytes: number) {
    this.path = path;
    this.name = name;
    this.rotation = rotation;
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
      const id = `${this.name}-${this.seq++}`;
      const bad = badEvery > 0 && this.seq % badEvery === 0 ? ' BADMAP' : '';
      if (splitEvery > 0 && this.seq % splitEvery === 0) {
        const parts = [`${id} first-piece-${this.padding}/`, 'second-piece/', `third-piece${bad}`];
        this.written.set(id, parts.join(''));
        text += `${ts} stdout P ${parts[0]}\n${ts} stdout P ${parts[1]}\n${ts} stdout F ${parts[2]}\n`;
      } else {
        const message = `${id} ${this.padding}${bad}`;
        this.written.set(id, message);
        text += `${ts} stdout F ${message}\n`;
      }
    }
    appendFileSync(this.path, text);
    this.bytesSinceRotation += Buffer.byteLength(text);
  }

  /** Rotates when the file has grown by `bytes` since the last rotation; true when it did. */
  rotateAt(bytes: number): boolean {
    if (this.bytesSinceRotation < bytes) return false;
    this.bytesSinceRotation = 0;
    this.rotations++;
    if (this.rotation === 'rename') this.rotateLikeKubelet();
    else this.rotateLikeLogrotate();
    return true;
  }

  /** kubelet: compress rotated files but the newest, drop beyond the count, rename the live file away. */
  private rotateLikeKubelet(): void {
    const dir = dirname(this.path);
    const base = basename(this.path);
    const rotated = readdirSync(dir)
      .filter((n) => n.startsWith(`${base}.`) && !n.endsWith('.tmp'))
      .sort();
    for (const name of rotated.slice(0, -1)) if (!name.endsWith('.gz')) gzipFile(join(dir, name));
    const all = readdirSync(dir)
      .filter((n) => n.startsWith(`${base}.`) && !n.endsWith('.tmp'))
      .sort();
    for (const name of all.slice(0, Math.max(0, all.length - (keepFiles - 2))))
      rmSync(join(dir, name), { force: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    renameSync(this.path, `${this.path}.${stamp}.${String(this.rotations).padStart(4, '0')}`);
  }

  /** logrotate copytruncate with `rotate 4`, `compress` and `delaycompress`. */
  private rotateLikeLogrotate(): void {
    const at = (n: number): string => (n === 1 ? `${this.path}.1` : `${this.path}.${n}.gz`);
    rmSync(at(keepFiles - 1), { force: true });
    for (let n = keepFiles - 2; n >= 2; n--) if (existsSync(at(n))) renameSync(at(n), at(n + 1));
    if (existsSync(at(1))) gzipFile(at(1), at(2));
    copyFileSync(this.path, at(1));
    truncateSync(this.path, 0);
  }
}

/** Compresses like kubelet: to a temporary name, renamed, then the original removed. */
function gzipFile(path: string, to = `${path}.gz`): void {
  writeFileSync(`${to}.tmp`, gzipSync(readFileSync(path), { level: 1 }));
  renameSync(`${to}.tmp`, to);
  rmSync(path);
}

/** The sink as the torture sees it. */
export interface TortureSink {
  /** Every stored document: its id and message text. */
  messages(): Promise<{ id: string; message: string }[]>;
  /** Makes the sink unreachable, and back. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Items the sink answered as already stored (a re-send), when it can tell. */
  resent(): number;
  /** Messages that went to the dead-letter file (their ids). */
  deadLettered(): string[];
}

/** Size and faults of one run. */
export interface TortureOptions {
  logs: TortureLog[];
  agent: AgentProcess;
  sink: TortureSink;
  linesPerSecond: number;
  seconds: number;
  rotateBytes: number;
  kills: number;
  /** Sink outage: starts at this second of the run, for this long; one of the kills falls in its middle. */
  outage?: { atSecond: number; seconds: number };
  splitEvery: number;
  badEvery: number;
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
  duplicates: number;
  /** Document ids and message ids of a few documents stored twice. */
  duplicateExamples: string[];
  /** Distinct ids of BADMAP messages in the dead-letter file. */
  deadLettered: number;
  /** Split messages stored without their pieces joined. */
  brokenSplits: number;
  rotations: number;
  kills: number;
  resent: number;
  seconds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the schedule, waits for the sink to settle and counts what arrived. */
export async function torture(options: TortureOptions): Promise<TortureResult> {
  const { logs, agent, sink } = options;
  const random = seededRandom(options.seed);
  const log = options.log ?? (() => undefined);
  const tickMs = 50;
  const ticks = Math.round((options.seconds * 1000) / tickMs);
  const perTick = options.linesPerSecond / (1000 / tickMs) / logs.length;
  const killTicks = new Set(Array.from({ length: options.kills }, () => Math.floor((0.05 + random() * 0.9) * ticks)));
  const outageStart = options.outage ? Math.round((options.outage.atSecond * 1000) / tickMs) : -1;
  const outageEnd = options.outage ? outageStart + Math.round((options.outage.seconds * 1000) / tickMs) : -1;
  // The worst moment: killed while reading is paused and files rotate, before the sink comes back.
  if (options.outage && options.kills > 0) {
    killTicks.delete([...killTicks][0]!);
    killTicks.add(Math.round((outageStart + outageEnd) / 2));
  }
  const started = Date.now();
  let kills = 0;
  let owed = 0;
  let restarting: Promise<void> | undefined;
  for (let tick = 0; tick < ticks; tick++) {
    const due = started + tick * tickMs;
    if (due > Date.now()) await sleep(due - Date.now());
    owed += perTick;
    const n = Math.floor(owed);
    owed -= n;
    for (const file of logs) {
      if (n > 0) file.write(n, options.splitEvery, options.badEvery);
      file.rotateAt(options.rotateBytes);
    }
    if (tick === outageStart) {
      log(`sink down at ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await sink.down();
    }
    if (tick === outageEnd) {
      log(`sink up at ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await sink.up();
    }
    if (killTicks.has(tick)) {
      await restarting;
      kills++;
      log(`kill -9 at ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await agent.kill9();
      // Restarted in the background while the files keep growing and rotating.
      restarting = agent.start().finally(() => {
        restarting = undefined;
      });
    }
  }
  await restarting;
  if (options.outage && outageEnd >= ticks) await sink.up();
  const expected = new Map<string, string>();
  const bad = new Set<string>();
  for (const file of logs) {
    for (const [id, text] of file.written) {
      if (text.includes('BADMAP')) bad.add(id);
      else expected.set(id, text);
    }
  }
  const idOf = (message: string): string => message.slice(0, message.indexOf(' '));
  const deadline = Date.now() + options.settleMs;
  let docs: { id: string; message: string }[] = [];
  let stored: string[] = [];
  let have = new Map<string, number>();
  for (;;) {
    docs = await sink.messages();
    stored = docs.map((d) => d.message);
    have = new Map();
    for (const message of stored) have.set(idOf(message), (have.get(idOf(message)) ?? 0) + 1);
    const missing = [...expected.keys()].filter((id) => !have.has(id)).length;
    const dead = new Set(sink.deadLettered());
    if ((missing === 0 && [...bad].every((id) => dead.has(id))) || Date.now() > deadline) break;
    await sleep(500);
  }
  const lostIds = [...expected.keys()].filter((id) => !have.has(id));
  const brokenSplits =
    stored.filter((m) => {
      const want = expected.get(idOf(m));
      return want !== undefined && want.includes('first-piece') && m !== want;
    }).length + stored.filter((m) => m.startsWith('second-piece') || m.startsWith('third-piece')).length;
  let duplicates = 0;
  for (const count of have.values()) duplicates += count - 1;
  const duplicateExamples = docs
    .filter((d) => (have.get(idOf(d.message)) ?? 0) > 1)
    .slice(0, 6)
    .map((d) => `${d.id} ${idOf(d.message)}`);
  return {
    sent: expected.size,
    arrived: expected.size - lostIds.length,
    lost: lostIds.length,
    lostExamples: lostIds.slice(0, 10),
    duplicates,
    duplicateExamples,
    brokenSplits,
    deadLettered: new Set(sink.deadLettered().filter((id) => bad.has(id))).size,
    rotations: logs.reduce((n, f) => n + f.rotations, 0),
    kills,
    resent: sink.resent(),
    seconds: (Date.now() - started) / 1000,
  };
}
