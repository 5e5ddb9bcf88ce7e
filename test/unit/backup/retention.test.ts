import { describe, expect, it } from 'vitest';
import {
  applyRetention,
  bucketOf,
  isoWeek,
  subtractDuration,
  type RetentionCandidate,
} from '../../../backup/retention.ts';

const hour = 3600_000;
const day = 24 * hour;
const start = Date.UTC(2025, 0, 1, 0, 30); // Wed 2025-01-01 00:30 UTC

/** One backup per day at 00:30 for a year, plus hourly backups on the last two days. */
function yearOfBackups(): RetentionCandidate[] {
  const out: RetentionCandidate[] = [];
  for (let d = 0; d < 365; d++) out.push({ id: `daily-${d}`, time: new Date(start + d * day) });
  for (let h = 1; h < 48; h++) out.push({ id: `hourly-${h}`, time: new Date(start + 363 * day + h * hour) });
  return out;
}

describe('applyRetention', () => {
  it('keeps exactly what keep-last, hourly, daily, weekly and monthly say over a year of daily and hourly backups', () => {
    const backups = yearOfBackups();
    const decision = applyRetention(backups, {
      keepLast: 2,
      keepHourly: 6,
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 12,
    });
    const kept = decision.keep.map((b) => b.time.toISOString());
    const newest = start + 363 * day + 47 * hour; // 2025-12-31 23:30
    const expected = new Set<string>();
    // keep-last 2 and keep-hourly 6: the six newest hours each have exactly one backup.
    for (let h = 0; h < 6; h++) expected.add(new Date(newest - h * hour).toISOString());
    // keep-daily 7: newest of each of the last 7 days (Dec 25..31); Dec 30 and 31 have hourly backups.
    expected.add('2025-12-30T23:30:00.000Z');
    for (let d = 25; d <= 29; d++) expected.add(`2025-12-${d}T00:30:00.000Z`);
    // keep-weekly 4: ISO weeks 2026-W01 (Dec 29-31: newest overall), W52 (Dec 22-28: Sun 28th), W51 (21st), W50 (14th).
    expected.add('2025-12-28T00:30:00.000Z');
    expected.add('2025-12-21T00:30:00.000Z');
    expected.add('2025-12-14T00:30:00.000Z');
    // keep-monthly 12: newest of each month; December's is the newest overall.
    for (let m = 0; m < 11; m++) expected.add(new Date(Date.UTC(2025, m + 1, 0, 0, 30)).toISOString());
    expect(new Set(kept)).toEqual(expected);
    expect(decision.keep.length + decision.remove.length).toBe(backups.length);
    expect(decision.keep[0]!.reasons).toEqual([
      'last 2',
      'hourly 2025-12-31T23',
      'daily 2025-12-31',
      'weekly 2026-W01',
      'monthly 2025-12',
    ]);
  });

  it('keeps every backup within a duration of the newest, in calendar units', () => {
    const backups = yearOfBackups();
    const decision = applyRetention(backups, { keepWithin: '1m' });
    // The newest is 2025-12-31T23:30; one calendar month earlier is 2025-11-30T23:30.
    const oldestKept = decision.keep.at(-1)!;
    expect(oldestKept.time.toISOString()).toBe('2025-12-01T00:30:00.000Z');
    expect(decision.remove[0]!.time.toISOString()).toBe('2025-11-30T00:30:00.000Z');
  });

  it('keeps the newest backup even when no rule covers it', () => {
    const backups = [
      { id: 'a', time: new Date(start) },
      { id: 'b', time: new Date(start + hour) },
    ];
    const decision = applyRetention(backups, { keepYearly: 1 });
    expect(decision.keep.map((b) => b.id)).toEqual(['b']);
    expect(decision.remove.map((b) => b.id)).toEqual(['a']);
  });

  it('refuses a policy that keeps nothing', () => {
    expect(() => applyRetention(yearOfBackups(), {})).toThrow(/keeps nothing/);
    expect(() => applyRetention(yearOfBackups(), { keepLast: 0, keepWithin: '0d' })).toThrow(/keeps nothing/);
  });

  it('handles an empty list', () => {
    expect(applyRetention([], { keepLast: 1 })).toEqual({ keep: [], remove: [] });
  });
});

describe('calendar helpers', () => {
  it('numbers ISO weeks across year ends', () => {
    expect(isoWeek(new Date('2024-12-30T12:00:00Z'))).toEqual({ year: 2025, week: 1 });
    expect(isoWeek(new Date('2021-01-03T12:00:00Z'))).toEqual({ year: 2020, week: 53 });
    expect(bucketOf('weekly', new Date('2025-06-15T00:00:00Z'))).toBe('2025-W24');
  });

  it('subtracts calendar durations', () => {
    expect(subtractDuration(new Date('2025-03-31T10:00:00Z'), '1m').toISOString()).toBe('2025-02-28T10:00:00.000Z');
    expect(subtractDuration(new Date('2024-02-29T10:00:00Z'), '1y').toISOString()).toBe('2023-02-28T10:00:00.000Z');
    expect(subtractDuration(new Date('2025-03-10T10:00:00Z'), '1w2d3h').toISOString()).toBe('2025-03-01T07:00:00.000Z');
  });
});
