/** Prometheus-style durations: `500ms`, `15s`, `1m30s`, `2h`. */
export const durationPattern = /^(?:\d+(?:ms|s|m|h))+$/;

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration matching {@link durationPattern}; throws naming the text otherwise. */
export function durationMs(text: string): number {
  if (!durationPattern.test(text)) throw new Error(`"${text}" is not a duration such as 15s, 500ms or 1m30s`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(amount) * unitMs[unit!]!;
  return total;
}
