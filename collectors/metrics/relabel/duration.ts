/** Prometheus' duration format (`1m30s`, `500ms`, `2h`), used by `__scrape_interval__` and `__scrape_timeout__`. */

const units: readonly [string, number][] = [
  ['y', 365 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const pattern = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Milliseconds of a Prometheus duration, or undefined when it is not one ("0" is 0). */
export function parsePrometheusDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const m = text === '' ? null : pattern.exec(text);
  if (!m) return undefined;
  let ms = 0;
  units.forEach(([, mult], i) => {
    if (m[i + 1]) ms += Number(m[i + 1]) * mult;
  });
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Formats milliseconds as Prometheus does (model.Duration.String): years and weeks only when exact. */
export function formatPrometheusDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, mult] of units) {
    if ((unit === 'y' || unit === 'w') && rest % mult !== 0) continue;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return out;
}
