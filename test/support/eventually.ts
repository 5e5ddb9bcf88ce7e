import { setTimeout as delay } from 'node:timers/promises';

/**
 * Reads a value until `done` accepts it and returns it; a read that throws counts as not done.
 * Fails after `timeoutMs` naming `what` and the last value or error seen.
 */
export async function eventually<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing read yet';
  for (;;) {
    try {
      const value = await read();
      if (done(value)) return value;
      last = `last value: ${JSON.stringify(value)?.slice(0, 500)}`;
    } catch (error) {
      last = `last error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached after ${timeoutMs} ms; ${last}`);
    await delay(200);
  }
}

/** Waits until `check` resolves true (a throw counts as false). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  await eventually(check, (ok) => ok, what, timeoutMs);
}
