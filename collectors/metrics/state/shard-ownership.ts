import type { TargetOwnership } from '../discovery/relabeling-source.ts';
import type { ShardAssignment } from '../discovery/shard/assignment.ts';
import { stateJob } from './config.ts';

/**
 * The shard ownership of the cluster-state target. Each replica serves the series on its own loopback port, so
 * hashing the target's `__address__` would give each replica a different key and a different owner (two scrapes,
 * or none). Every replica instead hashes the same stand-in target, whose labels all name the job, so the shard
 * plan maps it to exactly one replica whatever label the sharding is keyed on, and it moves with the plan.
 */
export function stateTargetOwnership(assignment: ShardAssignment): TargetOwnership {
  const standIn = { __address__: stateJob, job: stateJob, instance: stateJob };
  return {
    owns: () => assignment.owns(standIn),
    onChange: (listener) => assignment.onChange(listener),
  };
}
