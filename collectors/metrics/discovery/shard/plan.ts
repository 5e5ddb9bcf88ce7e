import { createHash } from 'node:crypto';
import { hashMod } from '../../relabel/hashmod.ts';

/** One membership of the shard group and the moment it takes over. */
export interface ShardPlanVersion {
  /** Replica identities, sorted; a replica's ordinal is its index. */
  members: string[];
  /** From this time (ms since the epoch) on, scrapes belong to these members. */
  effectiveFromMs: number;
}

/**
 * The shard group's memberships over time, oldest first. Every replica decides ownership from the same plan
 * and the time a scrape is due, so as long as each replica learns a version before it takes effect, each
 * scrape has exactly one owner, during a scale as after it.
 */
export interface ShardPlan {
  versions: ShardPlanVersion[];
}

/** How a target's key maps to a member. */
export type ShardStrategy = 'hashmod' | 'rendezvous';

/** The members in effect at `timeMs` (none before the first version). */
export function membersAt(plan: ShardPlan, timeMs: number): readonly string[] {
  let current: readonly string[] = [];
  for (const v of plan.versions) {
    if (v.effectiveFromMs <= timeMs) current = v.members;
    else break;
  }
  return current;
}

/**
 * The member owning `key` (by default the target's `__address__`): `hashmod` is Prometheus' hashmod over the
 * sorted members (the ordinal i owns hashmod(key, N) == i, as a Prometheus sharded with relabel hashmod);
 * `rendezvous` picks the member with the highest hash of (member, key), so a new member takes only 1/N of
 * the targets from the others instead of reshuffling most of them.
 */
export function ownerOf(
  key: string,
  members: readonly string[],
  strategy: ShardStrategy = 'hashmod',
): string | undefined {
  if (members.length === 0) return undefined;
  if (strategy === 'hashmod') return members[Number(hashMod(key, members.length))];
  let best: string | undefined;
  let bestScore = -1n;
  for (const member of members) {
    const score = createHash('md5').update(`${member}\0${key}`).digest().readBigUInt64BE(0);
    if (score > bestScore || (score === bestScore && best !== undefined && member < best)) {
      best = member;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The plan after the live members were observed at `nowMs`: unchanged when they are the latest version's;
 * otherwise a new version taking effect `graceMs` from now (never before the latest one). Versions no
 * longer needed (superseded before now) are pruned.
 */
export function evolvePlan(plan: ShardPlan, liveMembers: readonly string[], nowMs: number, graceMs: number): ShardPlan {
  const members = [...new Set(liveMembers)].sort();
  const last = plan.versions.at(-1);
  let versions = plan.versions;
  if (!last || last.members.join('\0') !== members.join('\0')) {
    const effectiveFromMs = last ? Math.max(nowMs + graceMs, last.effectiveFromMs + 1) : nowMs;
    versions = [...versions, { members, effectiveFromMs }];
  }
  const inEffect = versions.findLastIndex((v) => v.effectiveFromMs <= nowMs);
  if (inEffect <= 0 && versions === plan.versions) return plan;
  return { versions: inEffect > 0 ? versions.slice(inEffect) : versions };
}
