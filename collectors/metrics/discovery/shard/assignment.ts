import type { TargetLabels } from '../../types.ts';
import type { DiscoveryMetrics } from '../metrics.ts';
import type { TargetOwnership } from '../relabeling-source.ts';
import { membersAt, ownerOf, type ShardPlan, type ShardStrategy } from './plan.ts';

/** Options of {@link ShardAssignment}. */
export interface ShardAssignmentOptions {
  /** This replica's identity (its pod name). */
  identity: string;
  strategy?: ShardStrategy;
  /** Label whose value is hashed; `__address__` by default. */
  keyLabel?: string;
  metrics?: DiscoveryMetrics;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * This replica's share of the targets under a {@link ShardPlan}: it owns a target when the plan's members in
 * effect now map the target's key to this identity. When a later version takes effect, listeners are told at
 * that moment, so the targets it hands over stop here exactly when the new owner starts.
 */
export class ShardAssignment implements TargetOwnership {
  private plan: ShardPlan = { versions: [] };
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private readonly options: ShardAssignmentOptions;
  private readonly now: () => number;

  constructor(options: ShardAssignmentOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Replaces the plan (learned from the group); ownership changes now or at the versions' times. */
  setPlan(plan: ShardPlan): void {
    this.plan = plan;
    this.changed();
  }

  /** The members in effect now. */
  members(): readonly string[] {
    return membersAt(this.plan, this.now());
  }

  owns(target: TargetLabels): boolean {
    return this.ownsAt(target, this.now());
  }

  /** Whether this replica owns the target at `timeMs` under the plan it knows. */
  ownsAt(target: TargetLabels, timeMs: number): boolean {
    const key = target[this.options.keyLabel ?? '__address__'] ?? '';
    return ownerOf(key, membersAt(this.plan, timeMs), this.options.strategy) === this.options.identity;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Cancels the pending switch-over timer. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private changed(): void {
    const now = this.now();
    const members = membersAt(this.plan, now);
    this.options.metrics?.shardReplicas.set(members.length);
    this.options.metrics?.shardOrdinal.set(members.indexOf(this.options.identity));
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        /* a listener's bug must not stop sharding */
      }
    }
    clearTimeout(this.timer);
    const next = this.plan.versions.find((v) => v.effectiveFromMs > now);
    if (next)
      this.timer = setTimeout(
        () => {
          this.changed();
        },
        Math.min(next.effectiveFromMs - now, 2 ** 31 - 1),
      );
  }
}
