import { describe, expect, it } from 'vitest';
import { ShardAssignment } from '../../../collectors/metrics/discovery/shard/assignment.ts';
import { evolvePlan } from '../../../collectors/metrics/discovery/shard/plan.ts';
import { stateTargetOwnership } from '../../../collectors/metrics/state/shard-ownership.ts';

describe.each(['hashmod', 'rendezvous'] as const)('cluster-state target sharding (%s)', (strategy) => {
  it.each([1, 2, 3, 5])('%i replicas, each with its own loopback address: exactly one scrapes', (count) => {
    const ids = Array.from({ length: count }, (_, i) => `watchkeeper-collector-${i}-x7k2p`);
    const plan = evolvePlan({ versions: [] }, ids, 0, 30_000);
    for (const key of ['__address__', 'instance', 'job', '__meta_kubernetes_pod_name']) {
      const owners = ids.filter((identity) => {
        const assignment = new ShardAssignment({ identity, strategy, keyLabel: key, now: () => 1000 });
        assignment.setPlan(plan);
        return stateTargetOwnership(assignment).owns({ __address__: `127.0.0.1:${40000 + ids.indexOf(identity)}` });
      });
      expect(owners, `key ${key}`).toHaveLength(1);
    }
  });

  it('moves to another replica when the owner leaves, telling the source at the switch-over', () => {
    let now = 0;
    const ids = ['wk-a', 'wk-b'];
    const assignments = ids.map((identity) => new ShardAssignment({ identity, strategy, now: () => now }));
    let plan = evolvePlan({ versions: [] }, ids, 0, 30_000);
    for (const a of assignments) a.setPlan(plan);
    const ownerships = assignments.map(stateTargetOwnership);
    const before = ids.filter((_, i) => ownerships[i]!.owns({}));
    expect(before).toHaveLength(1);
    const survivor = ids.find((id) => id !== before[0])!;
    const told: string[] = [];
    ownerships.forEach((o, i) => o.onChange(() => told.push(ids[i]!)));
    now = 10_000;
    plan = evolvePlan(plan, [survivor], now, 30_000);
    for (const a of assignments) a.setPlan(plan);
    expect(told.sort()).toEqual([...ids].sort());
    expect(ownerships[ids.indexOf(survivor)]!.owns({})).toBe(before[0] === survivor);
    now = 40_000;
    expect(ownerships[ids.indexOf(survivor)]!.owns({})).toBe(true);
    for (const a of assignments) a.stop();
  });
});
