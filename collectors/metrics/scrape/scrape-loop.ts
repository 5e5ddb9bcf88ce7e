import type { ScrapeTarget } from './scrape-target.ts';

/** A stable number from a string (FNV-1a, 32 bits): the same target gets the same offset after a restart. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The first scrape time after `now` of a target whose scrapes happen at `offset` past each multiple of
 * `interval` (wall clock), as Prometheus spreads targets over the interval instead of scraping all at once.
 */
export function nextScrapeTime(now: number, intervalMs: number, offsetMs: number): number {
  const phase = (((now - offsetMs) % intervalMs) + intervalMs) % intervalMs;
  return now - phase + intervalMs;
}

/**
 * Scrapes one target every interval at its stable offset. A scrape is bounded by the timeout
 * (at most the interval), the next one is scheduled only after it ended, and ticks missed while a
 * scrape overran are skipped: one target is never scraped twice at once, and each target has its own
 * timer, so a slow or hanging target never delays another.
 */
export class ScrapeLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly offsetMs: number;
  /** The target this loop scrapes. */
  readonly target: ScrapeTarget;
  private readonly onScraped: (target: ScrapeTarget) => void;
  private readonly now: () => number;

  constructor(target: ScrapeTarget, onScraped: (target: ScrapeTarget) => void, now: () => number = Date.now) {
    this.target = target;
    this.onScraped = onScraped;
    this.now = now;
    this.offsetMs = stableHash(target.key) % target.settings.intervalMs;
  }

  /** Schedules the first scrape at the target's next slot. */
  start(): void {
    this.schedule();
  }

  /** Stops the loop, cancelling a scrape in flight, and waits for it to end. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort(new Error('target stopped'));
    await this.running;
  }

  private schedule(): void {
    if (this.abort.signal.aborted) return;
    const now = this.now();
    const next = nextScrapeTime(now, this.target.settings.intervalMs, this.offsetMs);
    this.timer = setTimeout(() => {
      this.run();
    }, next - now);
  }

  private run(): void {
    this.running = this.target
      .scrape(this.abort.signal)
      .then(() => {
        if (!this.abort.signal.aborted) this.onScraped(this.target);
      })
      .finally(() => {
        this.running = undefined;
        this.schedule();
      });
  }
}
