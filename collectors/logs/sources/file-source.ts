import { watch, type FSWatcher } from 'node:fs';
import { glob, readdir, stat } from 'node:fs/promises';
import { dirname, join, matchesGlob } from 'node:path';
import type { LogsMetrics } from '../metrics.ts';
import type { FileEmitter } from '../pipeline/emitter.ts';
import type { FileCheckpoint } from './checkpoint.ts';
import { FileTail, type Generation, type TailContext, type TailStart } from './file-tail.ts';
import { generationIdKey, isGzip, readFingerprint, stripRotationSuffix } from './identity.ts';
import { rotatedSiblings } from './siblings.ts';

/** Options of {@link FileSource}. */
export interface FileSourceOptions extends Omit<
  TailContext,
  'count' | 'copied' | 'located' | 'lost' | 'opened' | 'freshScan'
> {
  patterns: readonly string[];
  startAt: 'beginning' | 'end';
  /** No checkpoints existed at start (first start, or an unusable file moved aside): startAt applies. */
  fresh: boolean;
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
 * periodic scan, each generation followed by a {@link FileTail}. Generations of one path are read
 * in order: a new file at a path waits until the renamed one before it was read to its end, and a
 * copytruncated content is read from its copy before the new content. At start, every generation
 * the checkpoints name as unfinished is looked for: by inode beside its old path, else by its first
 * line among the rotated files (copies, compressed files), several rotations deep. Rotated files
 * that no checkpoint knows and that appeared after the first start (a generation rotated away
 * before it was seen) are read too.
 */
export class FileSource {
  readonly name: string;
  private readonly options: FileSourceOptions;
  /** Every running tail. */
  private readonly all = new Set<FileTail>();
  /** Tails by the "<dev>:<ino>" of the file they read. */
  private readonly byKey = new Map<string, FileTail>();
  /** The live tail of each watched path. */
  private readonly byPath = new Map<string, FileTail>();
  /** The newest generation of each live path (the one a new generation waits for). */
  private readonly lastOf = new Map<string, FileTail>();
  private readonly watched = new Map<string, FSWatcher>();
  private scanTimer: NodeJS.Timeout | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private debounce: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly ctx: TailContext;
  private markOpened!: () => void;

  constructor(name: string, options: FileSourceOptions) {
    this.name = name;
    this.options = options;
    const opened = {
      done: false,
      promise: new Promise<void>((resolve) => {
        this.markOpened = resolve;
      }),
    };
    const { metrics } = options;
    const lines = metrics.linesRead.labels({ source: name });
    const bytes = metrics.bytesRead.labels({ source: name });
    this.ctx = {
      ...options,
      opened,
      freshScan: async () => {
        if (this.stopped) return;
        await this.scanning;
        await this.scan(false);
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
      copied: (generation, predecessor) => this.followCopy(generation, predecessor),
      located: (tail) => {
        this.byKey.set(tail.key, tail);
      },
      lost: (entry, reason) => {
        metrics.generationsLost.inc({ source: name, reason });
        options.logger.warn(
          { path: entry.origin, offset: entry.offset, reason },
          'A rotated log file generation cannot be found any more; its unread rest is lost.',
        );
      },
    };
  }

  /** Tails currently followed. */
  get files(): FileTail[] {
    return [...this.all];
  }

  /**
   * Unfinished generations first, then the first scan (startAt applies to what it finds), each
   * opened before any is read; then reading, watching and periodic scans.
   */
  async start(): Promise<void> {
    try {
      await this.resume();
      await this.scan(true);
    } finally {
      this.ctx.opened.done = true;
      this.markOpened();
    }
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
          this.scheduleScan();
        });
        watcher.on('error', () => {
          watcher.close();
          this.watched.delete(root);
        });
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
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = this.scanOnce(initial)
      .catch((error: unknown) => {
        this.options.logger.warn({ err: error, source: this.name }, 'Scanning for log files failed.');
      })
      .finally(() => {
        this.scanning = undefined;
      });
    await this.scanning;
    if (this.rescan && !this.stopped) {
      this.rescan = false;
      await this.scan(false);
    }
  }

  private async scanOnce(initial: boolean): Promise<void> {
    if (!this.stopped) this.watchRoots();
    for (const pattern of this.options.patterns) {
      for await (const dir of glob(dirname(pattern))) {
        let names: string[];
        try {
          names = await readdir(dir);
        } catch {
          continue;
        }
        const live: string[] = [];
        const rotated: { path: string; origin: string; mtimeMs: number }[] = [];
        for (const name of names) {
          const path = join(dir, name);
          if (!isGzip(name) && matchesGlob(path, pattern)) {
            live.push(path);
            continue;
          }
          const origin = stripRotationSuffix(path);
          if (origin === path || name.endsWith('.tmp') || !matchesGlob(origin, pattern)) continue;
          const st = await stat(path).catch(() => undefined);
          if (st) rotated.push({ path, origin, mtimeMs: st.mtimeMs });
        }
        // Rotated files first, oldest content first, so that generations found late line up before the live file.
        rotated.sort((a, b) => a.mtimeMs - b.mtimeMs);
        for (const { path, origin } of rotated) {
          if (this.stopped) return;
          await this.foundRotated(path, origin);
        }
        for (const path of live) {
          if (this.stopped) return;
          await this.found(path, initial);
        }
      }
    }
    for (const tail of this.all) {
      if (!tail.finished || !tail.settled) continue;
      this.all.delete(tail);
      if (this.byKey.get(tail.key) === tail) this.byKey.delete(tail.key);
      if (this.byPath.get(tail.path) === tail) this.byPath.delete(tail.path);
      for (const [origin, last] of this.lastOf) if (last === tail) this.lastOf.delete(origin);
    }
    const now = Date.now();
    const active = new Set([...this.all].map((t) => t.generation?.entry.idKey));
    for (const entry of this.options.checkpoints.list(this.name)) {
      if (!active.has(entry.idKey) && now - entry.seenAt > forgetAfterMs) this.options.checkpoints.delete(entry.idKey);
    }
  }

  /** A file at a watched path: a new generation, unless its inode is followed already. */
  private async found(path: string, initial: boolean): Promise<void> {
    let st;
    try {
      st = await stat(path);
    } catch {
      return;
    }
    if (!st.isFile()) return;
    const key = `${st.dev}:${st.ino}`;
    const existing = this.byKey.get(key);
    if (existing) {
      // Renamed to another watched name (e.g. audit.log -> audit-<time>.log): it is a rotated generation now.
      if (existing.path !== path && existing.kind === 'live') existing.markRotated();
      return;
    }
    const previous = this.byPath.get(path);
    if (previous && previous.key !== key) previous.markRotated();
    // startAt applies to files present at the very first start; later, an unknown file is new and read whole.
    const offset = initial && this.options.fresh && this.options.startAt === 'end' ? st.size : 0;
    await this.follow(path, key, { kind: 'live', offset, ...this.predecessorOf(path) }, path);
  }

  private predecessorOf(origin: string): { predecessor?: FileTail } {
    const last = this.lastOf.get(origin);
    return last && !last.finished ? { predecessor: last } : {};
  }

  /**
   * A rotated file (name.1, name.20240101-120000, name....gz) of a watched path that no tail reads
   * and no checkpoint knows: a generation rotated away before it was seen. Read when it appeared
   * after the first start (older ones are history from before this agent).
   */
  private async foundRotated(path: string, origin: string): Promise<void> {
    let st;
    try {
      st = await stat(path);
    } catch {
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (!st.isFile() || this.byKey.has(key)) return;
    const { checkpoints, tail } = this.options;
    if (st.ctimeMs < checkpoints.since - 1000 || st.ctimeMs < Date.now() - forgetAfterMs + 3600_000) return;
    const fingerprint = await readFingerprint(path, tail.fingerprintBytes);
    if (!fingerprint) return;
    const base64 = fingerprint.toString('base64');
    const idKey = generationIdKey(origin, fingerprint);
    if (checkpoints.get(idKey) || checkpoints.byInode(key, this.name).some((e) => e.fingerprint === base64)) return;
    // Rotated before it was seen: it gets its place among the generations of its path.
    const now = Date.now();
    const order = await this.placeOf(origin, st.ctimeMs, now);
    const start: TailStart = { kind: isGzip(path) ? 'copy' : 'rotated', offset: 0, createdAt: order.createdAt };
    let followed: FileTail | undefined;
    if (start.kind === 'rotated') {
      followed = await this.follow(path, key, start, origin);
    } else {
      const entry: FileCheckpoint = {
        key,
        source: this.name,
        path,
        origin,
        fingerprint: base64,
        idKey,
        offset: 0,
        copied: true,
        createdAt: order.createdAt,
        seenAt: now,
      };
      checkpoints.set(entry);
      followed = await this.followCopyAt(entry, { path, key }, undefined, order.createdAt);
    }
    if (followed) order.place(followed);
  }

  /**
   * Where a generation found late goes: after every generation of its path when the live file was
   * renamed away or is not followed yet; before the live tail's generation when it was rotated
   * away (ctime) before that one was seen; beside the others when the live tail already reads.
   */
  private async placeOf(
    origin: string,
    ctimeMs: number,
    now: number,
  ): Promise<{ createdAt: number; place(tail: FileTail): void }> {
    const live = this.byPath.get(origin);
    const append = {
      createdAt: now,
      place: (tail: FileTail) => {
        tail.after(this.predecessorOf(origin).predecessor);
        this.lastOf.set(origin, tail);
      },
    };
    if (!live) return append;
    const since = live.generation?.entry.createdAt;
    if (since !== undefined && ctimeMs < since)
      return { createdAt: since - 1, place: (tail) => live.insertBefore(tail) };
    const st = await stat(origin).catch(() => undefined);
    if (!st || `${st.dev}:${st.ino}` !== live.key) return append;
    return { createdAt: now, place: () => undefined };
  }

  private async follow(path: string, key: string, start: TailStart, origin: string): Promise<FileTail | undefined> {
    const tail = new FileTail(this.ctx, path, key, start);
    try {
      await tail.start();
    } catch (error) {
      this.options.logger.warn({ err: error, path }, 'Cannot open log file.');
      this.options.metrics.parseErrors.inc({ source: this.name, reason: 'unreadable_file' });
      return undefined;
    }
    this.all.add(tail);
    this.byKey.set(key, tail);
    if (start.kind === 'live') this.byPath.set(path, tail);
    // A rotated file found late reads beside the chain; every other generation is the newest of its path.
    if (start.createdAt === undefined) this.lastOf.set(origin, tail);
    return tail;
  }

  /** A tail that finds a generation's copy by its first line and reads it from where the live tail stopped. */
  private followCopy(generation: Generation, predecessor: FileTail | undefined): FileTail {
    const tail = new FileTail(this.ctx, generation.entry.origin, '', {
      kind: 'copy',
      offset: generation.position,
      generation,
      ...(predecessor ? { predecessor } : {}),
    });
    this.all.add(tail);
    void tail.start();
    return tail;
  }

  /**
   * A tail of a generation whose content is in a known copy or compressed file: opened before this
   * returns, so the descriptor keeps it readable when the rotation deletes it; when it is gone
   * already, the tail looks for it by its first line.
   */
  private async followCopyAt(
    entry: FileCheckpoint,
    at: { path: string; key: string },
    predecessor: FileTail | undefined,
    createdAt?: number,
  ): Promise<FileTail> {
    entry.path = at.path;
    const tail = new FileTail(this.ctx, at.path, at.key, {
      kind: 'copy',
      offset: entry.offset,
      checkpoint: entry,
      ...(predecessor ? { predecessor } : {}),
      ...(createdAt ? { createdAt } : {}),
    });
    this.all.add(tail);
    await tail.start();
    if (tail.key !== '') this.byKey.set(tail.key, tail);
    return tail;
  }

  private followCopyOf(entry: FileCheckpoint, predecessor: FileTail | undefined, createdAt?: number): FileTail {
    const tail = new FileTail(this.ctx, entry.origin, '', {
      kind: 'copy',
      offset: entry.offset,
      checkpoint: entry,
      ...(predecessor ? { predecessor } : {}),
      ...(createdAt ? { createdAt } : {}),
    });
    this.all.add(tail);
    void tail.start();
    return tail;
  }

  /**
   * Generations the checkpoints name as unfinished, oldest first: a renamed file is found by its
   * inode beside the old path (and still starts with its first line); otherwise the content is in
   * a copy or a compressed file, found by its first line. Each waits for the one before it.
   */
  private async resume(): Promise<void> {
    const { checkpoints, tail } = this.options;
    /** Rotated files beside each live path with their first lines, read once. */
    const siblings = new Map<string, Promise<{ path: string; key: string; fingerprint: string | undefined }[]>>();
    const siblingsOf = (origin: string) => {
      let found = siblings.get(origin);
      if (!found) {
        found = rotatedSiblings(origin).then((list) =>
          Promise.all(
            list.map(async (s) => ({
              path: s.path,
              key: s.key,
              fingerprint: (await readFingerprint(s.path, tail.fingerprintBytes))?.toString('base64'),
            })),
          ),
        );
        siblings.set(origin, found);
      }
      return found;
    };
    for (const entry of checkpoints.list(this.name)) {
      if (entry.finished) continue;
      if (!entry.copied) {
        const found = await this.findInode(entry);
        if (
          found &&
          (await readFingerprint(found.path, tail.fingerprintBytes))?.toString('base64') === entry.fingerprint
        ) {
          // Still at its live path: the first scan resumes it there.
          if (found.path === entry.origin) continue;
          const followed = await this.follow(
            found.path,
            found.key,
            { kind: 'rotated', offset: entry.offset, checkpoint: entry, ...this.predecessorOf(entry.origin) },
            entry.origin,
          );
          if (followed) continue;
        }
        entry.copied = true;
        checkpoints.touch();
      }
      // In a copy or compressed file: opened now, before the rotation can delete it.
      const predecessor = this.predecessorOf(entry.origin).predecessor;
      const copy = (await siblingsOf(entry.origin)).find((s) => s.fingerprint === entry.fingerprint);
      this.lastOf.set(
        entry.origin,
        copy && !this.byKey.has(copy.key)
          ? await this.followCopyAt(entry, copy, predecessor)
          : this.followCopyOf(entry, predecessor),
      );
    }
  }

  /** The file with the entry's inode beside its last or its live path. */
  private async findInode(entry: FileCheckpoint): Promise<{ path: string; key: string } | undefined> {
    for (const dir of new Set([dirname(entry.path), dirname(entry.origin)])) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const path = join(dir, name);
        const st = await stat(path).catch(() => undefined);
        if (st?.isFile() && `${st.dev}:${st.ino}` === entry.key) return { path, key: entry.key };
      }
    }
    return undefined;
  }

  private updateMetrics(): void {
    const { metrics } = this.options;
    let lag = 0;
    for (const tail of this.all) lag += tail.lag;
    metrics.filesTracked.set({ source: this.name }, this.all.size);
    metrics.lagBytes.set({ source: this.name }, lag);
  }

  /** Stops every tail. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.scanTimer);
    clearInterval(this.metricsTimer);
    clearTimeout(this.debounce);
    for (const w of this.watched.values()) w.close();
    await this.scanning;
    await Promise.all([...this.all].map((t) => t.stop()));
  }
}
