import { watch, type FSWatcher } from 'node:fs';
import { glob, open, readdir, stat } from 'node:fs/promises';
import { dirname, join, matchesGlob } from 'node:path';
import type { LogsMetrics } from '../metrics.ts';
import type { FileEmitter } from '../pipeline/emitter.ts';
import { FileTail, type TailContext } from './file-tail.ts';

/** Options of {@link FileSource}. */
export interface FileSourceOptions extends Omit<TailContext, 'count' | 'identified'> {
  patterns: readonly string[];
  startAt: 'beginning' | 'end';
  metrics: LogsMetrics;
}

/** Rotation suffixes: .1, -20240101, .20240101-120000 (kubelet), ... */
const rotationSuffix = /[.-][0-9][0-9T:.-]*$/;

/** First lines remembered to recognise copies made by copytruncate. */
const knownLimit = 10_000;

/** Checkpoints of files not seen for this long are forgotten. */
const forgetAfterMs = 24 * 3600 * 1000;

/** The directory a glob pattern is rooted in (the part before the first wildcard). */
export function patternRoot(pattern: string): string {
  const parts = pattern.split('/');
  const index = parts.findIndex((p) => /[*?[{]/.test(p));
  return index < 0 ? dirname(pattern) : parts.slice(0, index).join('/') || '/';
}

/**
 * The files matching a set of glob patterns: found by watching their directories and by a
 * periodic scan, each followed by a {@link FileTail} keyed by device and inode (so a renamed file
 * is finished, not read twice). At start, files that were being read before a restart and were
 * renamed meanwhile are looked up beside their old path and finished too.
 */
export class FileSource {
  readonly name: string;
  private readonly options: FileSourceOptions;
  private readonly tails = new Map<string, FileTail>();
  private readonly byPath = new Map<string, FileTail>();
  private readonly watched = new Map<string, FSWatcher>();
  private scanTimer: NodeJS.Timeout | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private debounce: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly ctx: TailContext;
  private readonly known = new Set<string>();
  private readonly startedAt = Date.now();

  constructor(name: string, options: FileSourceOptions) {
    this.name = name;
    this.options = options;
    const { metrics } = options;
    const lines = metrics.linesRead.labels({ source: name });
    const bytes = metrics.bytesRead.labels({ source: name });
    this.ctx = {
      ...options,
      identified: (fingerprint: Buffer) => {
        this.known.add(fingerprint.toString('base64'));
        if (this.known.size > knownLimit) this.known.delete(this.known.values().next().value!);
      },
      count: (n: number, b: number, emitter: FileEmitter) => {
        if (n > 0) lines.inc(n);
        if (b > 0) bytes.inc(b);
        const errors = emitter.counters.errors;
        for (const reason in errors) {
          metrics.parseErrors.inc({ source: name, reason }, errors[reason]);
          delete errors[reason];
        }
      },
    };
  }

  /** Tails currently followed. */
  get files(): FileTail[] {
    return [...this.tails.values()];
  }

  /** First scan (startAt applies to what it finds), renamed leftovers, then watching and periodic scans. */
  async start(): Promise<void> {
    await this.scan(true);
    await this.resumeRotated();
    this.watchRoots();
    this.scanTimer = setInterval(() => this.scheduleScan(), this.options.tail.scanIntervalSeconds * 1000);
    this.metricsTimer = setInterval(() => this.updateMetrics(), 1000);
    this.scanTimer.unref();
    this.metricsTimer.unref();
  }

  /** Watches the pattern roots that exist and are not watched yet (a root may appear later). */
  private watchRoots(): void {
    for (const root of new Set(this.options.patterns.map(patternRoot))) {
      if (this.watched.has(root)) continue;
      try {
        const watcher = watch(root, { recursive: true, persistent: false }, (_event, filename) => {
          const tail = filename ? this.byPath.get(join(root, filename.toString())) : undefined;
          if (tail) tail.wake();
          else this.scheduleScan();
        });
        watcher.on('error', () => { watcher.close(); this.watched.delete(root); });
        this.watched.set(root, watcher);
      } catch {
        // The directory does not exist yet: the periodic scan tries again.
      }
    }
  }

  private scheduleScan(): void {
    if (this.stopped || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.scan(false);
    }, 50);
  }

  /** Finds new files and forgets finished ones. */
  async scan(initial: boolean): Promise<void> {
    if (this.scanning) { this.rescan = true; return this.scanning; }
    this.scanning = this.scanOnce(initial).catch((error: unknown) => {
      this.options.logger.warn({ err: error, source: this.name }, 'Scanning for log files failed.');
    }).finally(() => { this.scanning = undefined; });
    await this.scanning;
    if (this.rescan && !this.stopped) { this.rescan = false; await this.scan(false); }
  }

  private async scanOnce(initial: boolean): Promise<void> {
    if (!this.stopped) this.watchRoots();
    for (const pattern of this.options.patterns) {
      for await (const dir of glob(dirname(pattern))) {
        let names: string[];
        try { names = await readdir(dir); } catch { continue; }
        for (const name of names) {
          if (this.stopped) return;
          if (name.endsWith('.gz')) continue;
          const path = join(dir, name);
          if (matchesGlob(path, pattern)) {
            await this.found(path, initial);
            continue;
          }
          const stripped = name.replace(rotationSuffix, '');
          if (stripped !== name && matchesGlob(join(dir, stripped), pattern)) await this.foundRotated(path);
        }
      }
    }
    for (const [key, tail] of this.tails) {
      if (tail.finished && tail.settled) {
        this.tails.delete(key);
        if (this.byPath.get(tail.path) === tail) this.byPath.delete(tail.path);
        this.options.metrics.fileLagBytes.remove({ source: this.name, path: tail.path });
      }
    }
    const now = Date.now();
    for (const entry of this.options.checkpoints.list(this.name)) {
      if (!this.tails.has(entry.key) && now - entry.seenAt > forgetAfterMs) this.options.checkpoints.delete(entry.key);
    }
  }

  private async found(path: string, initial: boolean): Promise<void> {
    let st;
    try { st = await stat(path); } catch { return; }
    if (!st.isFile()) return;
    const key = `${st.dev}:${st.ino}`;
    const existing = this.tails.get(key);
    if (existing) {
      if (existing.path !== path) { this.byPath.delete(existing.path); existing.path = path; this.byPath.set(path, existing); }
      return;
    }
    const previous = this.byPath.get(path);
    if (previous && previous.key !== key) previous.markRotated();
    const checkpoint = this.options.checkpoints.get(key);
    const offset = checkpoint?.offset ?? (initial && this.options.startAt === 'end' ? st.size : 0);
    await this.follow(path, st.dev, st.ino, { offset, ...(checkpoint ? { checkpoint } : {}) });
  }

  /**
   * A rotated sibling (name.1, name.20240101-120000) of a matching file. It is read when it is
   * new to us: renamed away or copied after this process started, never tracked, and not a copy
   * of content already read (copytruncate), which its first line tells.
   */
  private async foundRotated(path: string): Promise<void> {
    let st;
    try { st = await stat(path); } catch { return; }
    if (!st.isFile() || st.ctimeMs < this.startedAt - 1000) return;
    const key = `${st.dev}:${st.ino}`;
    if (this.tails.has(key) || this.options.checkpoints.get(key)) return;
    const max = this.options.tail.fingerprintBytes;
    const head = Buffer.alloc(max);
    let bytesRead = 0;
    try {
      const handle = await open(path, 'r');
      try { ({ bytesRead } = await handle.read(head, 0, max, 0)); } finally { await handle.close(); }
    } catch { return; }
    const nl = head.subarray(0, bytesRead).indexOf(10);
    if (nl < 0 && bytesRead < max) return;
    if (this.known.has(head.subarray(0, nl < 0 ? max : nl + 1).toString('base64'))) return;
    await this.follow(path, st.dev, st.ino, { offset: 0, rotated: true });
  }

  private async follow(path: string, dev: number, ino: number, start: ConstructorParameters<typeof FileTail>[4]): Promise<void> {
    const tail = new FileTail(this.ctx, path, dev, ino, start);
    try {
      await tail.start();
    } catch (error) {
      this.options.logger.warn({ err: error, path }, 'Cannot open log file.');
      this.options.metrics.parseErrors.inc({ source: this.name, reason: 'unreadable_file' });
      return;
    }
    this.tails.set(tail.key, tail);
    if (!start.rotated) this.byPath.set(path, tail);
  }

  /** Files read before a restart, renamed since and not finished: found by inode beside their old path. */
  private async resumeRotated(): Promise<void> {
    for (const entry of this.options.checkpoints.list(this.name)) {
      if (entry.finished || this.tails.has(entry.key)) continue;
      const dir = dirname(entry.path);
      let names: string[];
      try { names = await readdir(dir); } catch { continue; }
      for (const name of names) {
        if (name.endsWith('.gz')) continue;
        const path = join(dir, name);
        const st = await stat(path).catch(() => undefined);
        if (!st || `${st.dev}:${st.ino}` !== entry.key) continue;
        await this.follow(path, st.dev, st.ino, { offset: entry.offset, checkpoint: entry, rotated: true });
        break;
      }
    }
  }

  private updateMetrics(): void {
    const { metrics } = this.options;
    metrics.filesTracked.set({ source: this.name }, this.tails.size);
    for (const tail of this.tails.values()) metrics.fileLagBytes.set({ source: this.name, path: tail.path }, tail.lag);
  }

  /** Stops every tail. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.scanTimer);
    clearInterval(this.metricsTimer);
    clearTimeout(this.debounce);
    for (const w of this.watched.values()) w.close();
    await this.scanning;
    await Promise.all([...this.tails.values()].map((t) => t.stop()));
  }
}
