import { WatchkeeperError } from '../core/errors.ts';

/** The keep rules of a retention policy (the `retention` of a schedule). */
export interface RetentionPolicy {
  keepLast?: number | undefined;
  keepHourly?: number | undefined;
  keepDaily?: number | undefined;
  keepWeekly?: number | undefined;
  keepMonthly?: number | undefined;
  keepYearly?: number | undefined;
  /** A duration such as "7d" or "1y6m". */
  keepWithin?: string | undefined;
}

/** A backup as retention sees it. */
export interface RetentionCandidate {
  id: string;
  /** When the backup was taken. */
  time: Date;
}

/** A backup kept, with every rule that kept it (e.g. "daily 2026-04-25", "last 3"). */
export interface KeptBackup extends RetentionCandidate {
  reasons: string[];
}

/** What a policy keeps and what it removes; both newest first. */
export interface RetentionDecision {
  keep: KeptBackup[];
  remove: RetentionCandidate[];
}

type BucketRule = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

const bucketRules: readonly { rule: BucketRule; field: keyof RetentionPolicy }[] = [
  { rule: 'hourly', field: 'keepHourly' },
  { rule: 'daily', field: 'keepDaily' },
  { rule: 'weekly', field: 'keepWeekly' },
  { rule: 'monthly', field: 'keepMonthly' },
  { rule: 'yearly', field: 'keepYearly' },
];

/** True when no rule of the policy keeps anything: such a policy would delete every backup. */
export function policyKeepsNothing(policy: RetentionPolicy): boolean {
  const counts = [
    policy.keepLast,
    policy.keepHourly,
    policy.keepDaily,
    policy.keepWeekly,
    policy.keepMonthly,
    policy.keepYearly,
  ];
  return (
    counts.every((c) => c === undefined || c === 0) &&
    (policy.keepWithin === undefined || withinIsZero(policy.keepWithin))
  );
}

/**
 * Applies a restic-style policy. keepLast keeps the newest N; keepHourly/Daily/Weekly/Monthly/
 * Yearly keep the newest backup in each of the last N calendar hours/days/ISO weeks/months/years
 * (UTC) that have a backup; keepWithin keeps every backup taken within that duration before the
 * newest backup (not before now, so a stopped schedule never ages everything out). A backup is
 * kept when any rule keeps it, and the newest backup is always kept. A policy whose rules keep
 * nothing is refused rather than applied.
 */
export function applyRetention(backups: readonly RetentionCandidate[], policy: RetentionPolicy): RetentionDecision {
  if (policyKeepsNothing(policy)) {
    throw new WatchkeeperError(
      'usage',
      'refusing a retention policy that keeps nothing: it would delete every backup (set at least one keep rule above 0)',
    );
  }
  const sorted = [...backups].sort(
    (a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
  const reasons = new Map<string, string[]>();
  const keep = (b: RetentionCandidate, reason: string): void => {
    const list = reasons.get(b.id) ?? [];
    list.push(reason);
    reasons.set(b.id, list);
  };
  if (policy.keepLast) sorted.slice(0, policy.keepLast).forEach((b) => keep(b, `last ${policy.keepLast}`));
  for (const { rule, field } of bucketRules) {
    const n = policy[field] as number | undefined;
    if (!n) continue;
    let last: string | undefined;
    let kept = 0;
    for (const b of sorted) {
      if (kept >= n) break;
      const bucket = bucketOf(rule, b.time);
      if (bucket === last) continue;
      last = bucket;
      kept++;
      keep(b, `${rule} ${bucket}`);
    }
  }
  const newest = sorted[0];
  if (policy.keepWithin !== undefined && newest) {
    const since = subtractDuration(newest.time, policy.keepWithin).getTime();
    for (const b of sorted) if (b.time.getTime() >= since) keep(b, `within ${policy.keepWithin}`);
  }
  if (newest && reasons.size === 0) {
    throw new WatchkeeperError('failed', 'refusing to apply retention: the policy keeps none of the backups');
  }
  if (newest && !reasons.has(newest.id)) keep(newest, 'newest');
  return {
    keep: sorted.filter((b) => reasons.has(b.id)).map((b) => ({ ...b, reasons: reasons.get(b.id)! })),
    remove: sorted.filter((b) => !reasons.has(b.id)),
  };
}

/** The calendar bucket (UTC) of a time for a rule, e.g. "2026-04-25" for daily, "2026-W17" for weekly. */
export function bucketOf(rule: BucketRule, time: Date): string {
  const iso = time.toISOString();
  switch (rule) {
    case 'hourly':
      return iso.slice(0, 13);
    case 'daily':
      return iso.slice(0, 10);
    case 'monthly':
      return iso.slice(0, 7);
    case 'yearly':
      return iso.slice(0, 4);
    case 'weekly': {
      const { year, week } = isoWeek(time);
      return `${year}-W${String(week).padStart(2, '0')}`;
    }
  }
}

/** ISO 8601 week-numbering year and week of a UTC date. */
export function isoWeek(time: Date): { year: number; week: number } {
  const d = new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()));
  const day = d.getUTCDay() || 7;
  // The Thursday of this week decides the year the week belongs to.
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  return { year: d.getUTCFullYear(), week: Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7) };
}

/** Goes back a duration such as "1y2m3w4d5h" in calendar units (UTC): years, months (day clamped to the month's end), weeks, days, hours. */
export function subtractDuration(from: Date, duration: string): Date {
  const d = new Date(from.getTime());
  for (const [, amount, unit] of duration.matchAll(/(\d+)([ymwdh])/g)) {
    const n = Number(amount);
    if (unit === 'y') addMonthsClamped(d, -12 * n);
    else if (unit === 'm') addMonthsClamped(d, -n);
    else if (unit === 'w') d.setUTCDate(d.getUTCDate() - 7 * n);
    else if (unit === 'd') d.setUTCDate(d.getUTCDate() - n);
    else d.setUTCHours(d.getUTCHours() - n);
  }
  return d;
}

/** Moves a date by whole months, clamping the day to the target month's last day (Mar 31 - 1m = Feb 28). */
function addMonthsClamped(d: Date, months: number): void {
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
}

function withinIsZero(duration: string): boolean {
  return [...duration.matchAll(/(\d+)[ymwdh]/g)].every(([, n]) => Number(n) === 0);
}
