import { describe, expect, it } from 'vitest';
import { rankMembers, toHexId, type MemberStatus } from '../../../backup/etcd/member.ts';

const leaderId = '100';

function member(id: string, revision: string, extra: Partial<MemberStatus> = {}): MemberStatus {
  return {
    endpoint: `https://10.0.0.${id}:2379`,
    memberId: id,
    clusterId: '9',
    leaderId,
    revision,
    dbSize: 1,
    version: '3.6.16',
    isLearner: false,
    errors: [],
    ...extra,
  };
}

describe('rankMembers', () => {
  const leader = member(leaderId, '500');
  const behind = member('2', '480');
  const current = member('3', '500');
  const learner = member('4', '900', { isLearner: true });
  const alarmed = member('5', '900', { errors: ['NOSPACE'] });

  it('puts followers first, the most up-to-date follower first, the leader last, and drops learners and members with alarms', () => {
    expect(rankMembers([leader, behind, learner, current, alarmed], true).map((m) => m.memberId)).toEqual([
      '3',
      '2',
      leaderId,
    ]);
  });

  it('ranks by revision alone when followers are not preferred', () => {
    const ahead = member(leaderId, '600');
    expect(rankMembers([behind, current, ahead], false).map((m) => m.memberId)).toEqual([leaderId, '3', '2']);
  });

  it('compares revisions as 64-bit numbers, not as text or doubles', () => {
    const a = member('2', '9007199254740993');
    const b = member('3', '9007199254740992');
    const c = member('6', '99');
    expect(rankMembers([c, b, a], true).map((m) => m.memberId)).toEqual(['2', '3', '6']);
  });

  it('takes the leader when it is the only healthy member, and nothing when none is', () => {
    expect(rankMembers([leader, learner, alarmed], true).map((m) => m.memberId)).toEqual([leaderId]);
    expect(rankMembers([learner, alarmed], true)).toEqual([]);
    expect(rankMembers([], true)).toEqual([]);
  });
});

describe('toHexId', () => {
  it('prints a decimal member id as etcdctl does, 16 hex digits', () => {
    expect(toHexId('10276657743932975437')).toBe('8e9e05c52164694d');
    expect(toHexId('255')).toBe('00000000000000ff');
  });
});
