/** Backoff settings of {@link withRetry}. */
export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubles after each failure. */
  initialDelayMs: number;
  /** Upper bound of one delay. */
  maxDelayMs: number;
  /** Decides whether an error is worth another attempt; default: always. */
  retryable?: (error: unknown) => boolean;
  /** Server-requested delay (Retry-After) for an error, when it has one. */
  retryAfterMs?: (error: unknown) => number | undefined;
  /** Called before each wait, e.g. to count retries. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/** Full-jitter exponential delay for the given 1-based failed attempt. */
export function backoffDelay(
  attempt: number,
  initialDelayMs: number,
  maxDelayMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Parses an HTTP Retry-After value (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Sleeps, waking early (with the abort reason) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `operation` until it succeeds, a non-retryable error occurs or attempts run out. */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= options.attempts || options.retryable?.(error) === false || options.signal?.aborted) throw error;
      const delay = Math.min(
        options.maxDelayMs,
        options.retryAfterMs?.(error) ?? backoffDelay(attempt, options.initialDelayMs, options.maxDelayMs),
      );
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
