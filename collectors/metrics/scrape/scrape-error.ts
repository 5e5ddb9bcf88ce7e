import type { ScrapeErrorReason } from '../metrics.ts';

/** A failed scrape: why (for the error counter) and a message naming the target and the cause. */
export class ScrapeError extends Error {
  /** Stable error code for logs. */
  readonly code = 'SCRAPE_FAILED';
  /** Why, as counted in watchkeeper_metrics_scrape_errors_total. */
  readonly reason: ScrapeErrorReason;

  constructor(reason: ScrapeErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    this.name = 'ScrapeError';
  }
}
