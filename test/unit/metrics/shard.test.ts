import { describe, expect, it } from 'vitest';
import { ShardAssignment } from '../../../collectors/metrics/discovery/shard/assignment.ts';
import {
  evolvePlan,
  membersAt,
  ownerOf,
  type ShardPlan,
  type ShardStrategy,
} from '../../../collectors/metrics/discovery/shard/plan.ts';
import { hashMod } from '../../../collectors/metrics/relabel/hashmod.ts';

const targets = Array.from({ length: 240 }, (_, i) => `10.${i >> 8}.${i & 255}.7:${9100 + (i % 3)}`);
const grace = 30_000;

/**
 * A replica as the group sees it: the plan versions it has learned (each at some time) and when it stopped.
 * It decides from what it knows at the time a scrape is due.
 */
interface Replica {
  id: string;
  learned: { atMs: number; plan: ShardPlan }[];
  stoppedAtMs?: number;
}

function knownPlan(r: Replica, t: number): ShardPlan {
  return r.learned.filter((l) => l.atMs <= t).at(-1)?.plan ?? { versions: [] };
}

/** For every target and every second of the scenario, how many replicas scrape it. */
function ownersOverTime(
  replicas: Replica[],
  fromMs: number,
  toMs: number,
  strategy: ShardStrategy,
): { twice: string[]; none: string[] } {
  const twice: string[] = [];
  const none: string[] = [];
  for (let t = fromMs; t <= toMs; t += 2500) {
    for (const key of targets) {
      const owners = replicas.filter(
        (r) =>
          (r.stoppedAtMs === undefined || t < r.stoppedAtMs) &&
          ownerOf(key, membersAt(knownPlan(r, t), t), strategy) === r.id,
      );
      if (owners.length > 1) twice.push(`${key}@${t}`);
      if (owners.length === 0) none.push(`${key}@${t}`);
    }
  }
  return { twice, none };
}

describe.each(['hashmod', 'rendezvous'] as const)('sharding (%s)', (strategy) => {
  it('scale 2 → 3: no target owned twice and none dropped, during and after', () => {
    let plan = evolvePlan({ versions: [] }, ['wk-0', 'wk-1'], 0, grace);
    const r0: Replica = { id: 'wk-0', learned: [{ atMs: 0, plan }] };
    const r1: Replica = { id: 'wk-1', learned: [{ atMs: 0, plan }] };
    // wk-2 starts at 100 s and shows up live; the plan gains it, effective 30 s later; each replica learns
    // the new plan at its own moment within that grace (watch delays differ).
    plan = evolvePlan(plan, ['wk-0', 'wk-1', 'wk-2'], 100_000, grace);
    expect(plan.versions.map((v) => v.effectiveFromMs)).toEqual([0, 130_000]);
    r0.learned.push({ atMs: 101_000, plan });
    r1.learned.push({ atMs: 128_500, plan });
    const r2: Replica = { id: 'wk-2', learned: [{ atMs: 115_000, plan }] };
    const { twice, none } = ownersOverTime([r0, r1, r2], 0, 200_000, strategy);
    expect(twice).toEqual([]);
    expect(none).toEqual([]);
    const share = targets.filter((k) => ownerOf(k, plan.versions[1]!.members, strategy) === 'wk-2').length;
    expect(share).toBeGreaterThan(targets.length / 3 - 30);
    expect(share).toBeLessThan(targets.length / 3 + 30);
  });

  it('scale 3 → 2 with a graceful leave: the leaving replica scrapes until the new plan takes effect', () => {
    let plan = evolvePlan({ versions: [] }, ['wk-0', 'wk-1', 'wk-2'], 0, grace);
    const replicas: Replica[] = ['wk-0', 'wk-1', 'wk-2'].map((id) => ({ id, learned: [{ atMs: 0, plan }] }));
    plan = evolvePlan(plan, ['wk-0', 'wk-1'], 50_000, grace);
    for (const [i, r] of replicas.entries()) r.learned.push({ atMs: 50_000 + i * 5_000, plan });
    replicas[2]!.stoppedAtMs = 80_000;
    const { twice, none } = ownersOverTime(replicas, 0, 120_000, strategy);
    expect(twice).toEqual([]);
    expect(none).toEqual([]);
  });

  it('a replica that learns the plan after it took effect is what breaks it (the grace must cover the delay)', () => {
    let plan = evolvePlan({ versions: [] }, ['wk-0', 'wk-1'], 0, grace);
    const r0: Replica = { id: 'wk-0', learned: [{ atMs: 0, plan }] };
    const r1: Replica = { id: 'wk-1', learned: [{ atMs: 0, plan }] };
    plan = evolvePlan(plan, ['wk-0', 'wk-1', 'wk-2'], 100_000, grace);
    r0.learned.push({ atMs: 101_000, plan });
    r1.learned.push({ atMs: 140_000, plan });
    const r2: Replica = { id: 'wk-2', learned: [{ atMs: 101_000, plan }] };
    const { twice } = ownersOverTime([r0, r1, r2], 125_000, 145_000, strategy);
    expect(twice.length).toBeGreaterThan(0);
    expect(twice.every((k) => Number(k.split('@')[1]) >= 130_000 && Number(k.split('@')[1]) < 140_000)).toBe(true);
  });
});

describe('shard plan and assignment', () => {
  it("hashmod ownership is Prometheus' hashmod over the sorted members", () => {
    for (const key of targets.slice(0, 50))
      expect(ownerOf(key, ['a', 'b', 'c'])).toBe(['a', 'b', 'c'][Number(hashMod(key, 3))]);
  });

  it("rendezvous moves only the new member's share when one joins", () => {
    const moved = targets.filter(
      (k) => ownerOf(k, ['a', 'b'], 'rendezvous') !== ownerOf(k, ['a', 'b', 'c'], 'rendezvous'),
    );
    expect(moved.every((k) => ownerOf(k, ['a', 'b', 'c'], 'rendezvous') === 'c')).toBe(true);
  });

  it('evolvePlan keeps the plan when members are unchanged and prunes superseded versions', () => {
    const p1 = evolvePlan({ versions: [] }, ['b', 'a'], 1000, grace);
    expect(p1.versions).toEqual([{ members: ['a', 'b'], effectiveFromMs: 1000 }]);
    expect(evolvePlan(p1, ['a', 'b'], 5000, grace)).toBe(p1);
    const p2 = evolvePlan(p1, ['a', 'b', 'c'], 5000, grace);
    expect(evolvePlan(p2, ['a', 'b', 'c'], 40_000, grace).versions).toEqual([
      { members: ['a', 'b', 'c'], effectiveFromMs: 35_000 },
    ]);
  });

  it('ShardAssignment tells its listeners when a version takes effect and owns its share then', async () => {
    let now = 1_000;
    const a = new ShardAssignment({ identity: 'wk-2', now: () => now });
    let changes = 0;
    a.onChange(() => {
      changes++;
    });
    const plan = evolvePlan(evolvePlan({ versions: [] }, ['wk-0', 'wk-1'], 0, 50), ['wk-0', 'wk-1', 'wk-2'], 1_000, 50);
    a.setPlan(plan);
    expect(changes).toBe(1);
    expect(targets.filter((k) => a.owns({ __address__: k }))).toEqual([]);
    now = 1_050;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(changes).toBe(2);
    expect(targets.filter((k) => a.owns({ __address__: k })).length).toBeGreaterThan(40);
    a.stop();
  });
});
