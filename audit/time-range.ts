import { WatchkeeperError } from '../core/errors.ts';

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a time flag: an RFC 3339 time, or a duration before `now` such as 30m, 24h, 7d, 1h30m. */
export function parseTimeFlag(flag: string, value: string, now: Date): Date {
  if (/^(\d+[smhd])+$/.test(value)) {
    let ms = 0;
    for (const [, n, unit] of value.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * units[unit!]!;
    return new Date(now.getTime() - ms);
  }
  const time = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(time)) return new Date(time);
  throw new WatchkeeperError(
    'usage',
    `${flag}: expected a duration such as 24h or 30m, or a time such as 2026-05-01T10:00:00Z, found "${value}"`,
  );
}

/** The range of --since/--until (default: the last 24 hours), checked to be non-empty. */
export function timeRange(
  since: string | undefined,
  until: string | undefined,
  now = new Date(),
): { since: Date; until: Date } {
  const end = until === undefined ? now : parseTimeFlag('--until', until, now);
  const start = since === undefined ? new Date(end.getTime() - units.d!) : parseTimeFlag('--since', since, now);
  if (start.getTime() >= end.getTime()) {
    throw new WatchkeeperError(
      'usage',
      `--since (${start.toISOString()}) must be before --until (${end.toISOString()})`,
    );
  }
  return { since: start, until: end };
}
