import { watch, type FSWatcher } from 'node:fs';
import { glob, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LogsMetrics } from '../metrics.ts';
import type { FileEmitter } from '../pipeline/emitter.ts';
import { FileTail, type TailContext } from './file-tail.ts';

/** Options of {@link FileSource}. */
export interface FileSourceOptions extends Omit<TailContext, 'count'> {
  patterns: readonly string[];
  startAt: 'beginning' | 'end';
  metrics: LogsMetrics;
}

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
  private readonly watchers: FSWatcher[] = [];
  private scanTimer: NodeJS.Timeout | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private debounce: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly ctx: TailContext;

  constructor(name: string, options: FileSourceOptions) {
    this.name = name;
    this.options = options;
    const { metrics } = options;
    const lines = metrics.linesRead.labels({ source: name });
    const bytes = metrics.bytesRead.labels({ source: name });
    this.ctx = {
      ...options,
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
    for (const root of new Set(this.options.patterns.map(patternRoot))) {
      try {
        const watcher = watch(root, { recursive: true, persistent: false }, (_event, filename) => {
          const tail = filename ? this.byPath.get(join(root, filename.toString())) : undefined;
          if (tail) tail.wake();
          else this.scheduleScan();
        });
        watcher.on('error', () => undefined);
        this.watchers.push(watcher);
      } catch {
        // The directory may not exist yet: the periodic scan finds it later.
      }
    }
    this.scanTimer = setInterval(() => this.scheduleScan(), this.options.tail.scanIntervalSeconds * 1000);
    this.metricsTimer = setInterval(() => this.updateMetrics(), 1000);
    this.scanTimer.unref();
    this.metricsTimer.unref();
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
    for (const pattern of this.options.patterns) {
      for await (const path of glob(pattern)) {
        if (this.stopped) return;
        if (path.endsWith('.gz')) continue;
        let st;
        try { st = await stat(path); } catch { continue; }
        if (!st.isFile()) continue;
        const key = `${st.dev}:${st.ino}`;
        const existing = this.tails.get(key);
        if (existing) {
          if (existing.path !== path) { this.byPath.delete(existing.path); existing.path = path; this.byPath.set(path, existing); }
          continue;
        }
        const previous = this.byPath.get(path);
        if (previous && previous.key !== key) previous.markRotated();
        const checkpoint = this.options.checkpoints.get(key);
        const offset = checkpoint?.offset ?? (initial && this.options.startAt === 'end' ? st.size : 0);
        await this.follow(path, st.dev, st.ino, { offset, ...(checkpoint ? { checkpoint } : {}) });
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
    for (const w of this.watchers) w.close();
    await this.scanning;
    await Promise.all([...this.tails.values()].map((t) => t.stop()));
  }
}
