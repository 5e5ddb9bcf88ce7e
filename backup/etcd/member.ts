import type { Etcd3 } from 'etcd3';
import { WatchkeeperError, describeError } from '../../core/errors.ts';
import { clientForEndpoint, etcdError, type EtcdCredentials } from './client.ts';

/** What one member said about itself. */
export interface MemberStatus {
  endpoint: string;
  /** Member id as a decimal string (as etcd3 reports it); see {@link toHexId}. */
  memberId: string;
  clusterId: string;
  leaderId: string;
  revision: string;
  dbSize: number;
  version: string;
  isLearner: boolean;
  /** Active alarms (e.g. NOSPACE, CORRUPT); a member with any is not picked. */
  errors: string[];
}

/** The member picked for a snapshot, with a client bound to it. */
export interface ChosenMember {
  status: MemberStatus;
  /** Name from the member list ('' when unknown). */
  name: string;
  client: Etcd3;
}

/** A member id as etcdctl prints it (16 hex digits). */
export function toHexId(decimal: string): string {
  try {
    return BigInt(decimal).toString(16).padStart(16, '0');
  } catch {
    return decimal;
  }
}

/**
 * Orders candidate members: healthy ones only (answered, no alarm, not a learner), followers
 * first when `preferFollower`, then by highest revision. Exported for tests.
 */
export function rankMembers(statuses: readonly MemberStatus[], preferFollower: boolean): MemberStatus[] {
  return statuses
    .filter((s) => s.errors.length === 0 && !s.isLearner)
    .sort((a, b) => {
      if (preferFollower) {
        const fa = a.memberId !== a.leaderId ? 0 : 1;
        const fb = b.memberId !== b.leaderId ? 0 : 1;
        if (fa !== fb) return fa - fb;
      }
      const ra = BigInt(a.revision);
      const rb = BigInt(b.revision);
      return ra === rb ? 0 : ra > rb ? -1 : 1;
    });
}

/**
 * Asks every endpoint for its status and returns the best member with a client for it;
 * the clients of the other endpoints are closed. Fails naming every endpoint's problem.
 */
export async function chooseMember(
  endpoints: readonly string[],
  credentials: EtcdCredentials,
  options: { preferFollower: boolean; dialTimeoutMs: number },
): Promise<ChosenMember> {
  const probes = await Promise.all(
    endpoints.map(async (endpoint) => {
      const client = clientForEndpoint(endpoint, credentials, options.dialTimeoutMs);
      try {
        const status = await withTimeout(
          client.maintenance.status(),
          options.dialTimeoutMs * 2,
          `no answer within ${options.dialTimeoutMs * 2} ms`,
        );
        const result: MemberStatus = {
          endpoint,
          memberId: status.header.member_id,
          clusterId: status.header.cluster_id,
          leaderId: status.leader,
          revision: status.header.revision,
          dbSize: Number(status.dbSize),
          version: status.version,
          isLearner: status.isLearner,
          errors: status.errors ?? [],
        };
        return { endpoint, client, status: result };
      } catch (error) {
        client.close();
        return { endpoint, error: etcdError(endpoint, 'status', error) };
      }
    }),
  );
  const answered = probes.flatMap((p) => ('status' in p && p.status ? [p.status] : []));
  const ranked = rankMembers(answered, options.preferFollower);
  const best = ranked[0];
  for (const probe of probes)
    if ('client' in probe && probe.client && probe.endpoint !== best?.endpoint) probe.client.close();
  if (!best) {
    const problems = probes.map((p) =>
      'error' in p && p.error
        ? p.error.message
        : `etcd ${p.endpoint}: not usable (${p.status?.isLearner ? 'learner' : `alarms: ${p.status?.errors.join(', ')}`})`,
    );
    const cause = probes.find((p) => 'error' in p)?.error;
    throw new WatchkeeperError(
      'failed',
      `no healthy etcd member to take a snapshot from:\n  ${problems.join('\n  ')}`,
      { cause },
    );
  }
  const client = (probes.find((p) => p.endpoint === best.endpoint) as { client: Etcd3 }).client;
  let name = '';
  try {
    const members = await client.cluster.memberList({});
    name = members.members.find((m) => m.ID === best.memberId)?.name ?? '';
  } catch (error) {
    // The name is only informative; a user without the right to list members can still snapshot.
    void describeError(error);
  }
  return { status: best, name, client };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
