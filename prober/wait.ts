import { sleep } from '../core/retry.ts';

/**
 * Calls `check` every `intervalMs` until it returns a value, and returns it; returns undefined
 * when the signal aborts first, so the caller can describe precisely what it saw instead.
 * Errors of `check` propagate, except those caused by the abort.
 */
export async function waitFor<T>(
  signal: AbortSignal,
  check: () => T | undefined | Promise<T | undefined>,
  intervalMs = 250,
): Promise<T | undefined> {
  while (!signal.aborted) {
    let value: T | undefined;
    try {
      value = await check();
    } catch (error) {
      // A request cut short by the deadline is a timeout, which the caller describes.
      if (signal.aborted) return undefined;
      throw error;
    }
    if (value !== undefined) return value;
    try {
      await sleep(intervalMs, signal);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Seconds, for messages: 60000 -> "60s", 1500 -> "1.5s". */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}

/** A measured duration for messages, to the hundredth of a second: 1234 -> "1.23s". */
export function measured(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** Resolves with the promise's value, or with undefined as soon as the signal aborts. */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
