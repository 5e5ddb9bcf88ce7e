import {
  isStatus,
  LeaderElector,
  microTime,
  resourcePath,
  resources,
  startWatch,
  type KubeClient,
  type Lease,
  type WatchHandle,
} from '../../../../core/kube/index.ts';
import { sleep } from '../../../../core/retry.ts';
import type { ShardAssignment } from './assignment.ts';
import { evolvePlan, membersAt, type ShardPlan } from './plan.ts';

const groupLabel = 'watchkeeper.io/shard-group';
const roleLabel = 'watchkeeper.io/shard-role';
const planAnnotation = 'watchkeeper.io/shard-plan';
const leavingAnnotation = 'watchkeeper.io/shard-leaving';

/** Options of {@link LeaseShardGroup}. */
export interface LeaseShardGroupOptions {
  client: KubeClient;
  namespace: string;
  /** Name of the group (e.g. the Deployment's name); Lease names start with it. */
  group: string;
  /** This replica's identity (pod name). */
  identity: string;
  assignment: ShardAssignment;
  /** A member not seen renewing for this long is gone; default 15 s. */
  leaseDurationMs?: number;
  /** Renewal period of the member Lease, and of the leader's plan check; default 3 s. */
  renewMs?: number;
  /** Time between a membership change and the plan taking effect; must exceed the watch delay; default 10 s. */
  graceMs?: number;
  onError?(error: unknown): void;
}

/**
 * Shard membership through Leases of live replicas. Each replica keeps a member Lease
 * (`<group>-member-<identity>`) renewed; one replica, elected on `<group>-leader`, turns the live members into
 * the shard plan (a new version effective `graceMs` later whenever they change) and stores it on `<group>-plan`;
 * every replica watches the group's Leases and applies the plan it reads. A member is live while its Lease keeps
 * being renewed, as measured on the observer's clock (clocks need not agree). Stopping marks the member leaving,
 * waits until a plan without it has taken effect (so its targets are never unowned), then deletes its Lease.
 */
export class LeaseShardGroup {
  private readonly options: Required<Pick<LeaseShardGroupOptions, 'leaseDurationMs' | 'renewMs' | 'graceMs'>> &
    LeaseShardGroupOptions;
  private readonly leases = new Map<string, Lease>();
  /** Local time at which each member's renewTime was last seen to change. */
  private readonly seen = new Map<string, { renewTime: string; at: number }>();
  private watch: WatchHandle | undefined;
  private elector: LeaderElector | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private leaderTimer: NodeJS.Timeout | undefined;
  private leaving = false;
  private plan: ShardPlan = { versions: [] };

  constructor(options: LeaseShardGroupOptions) {
    this.options = { leaseDurationMs: 15_000, renewMs: 3_000, graceMs: 10_000, ...options };
  }

  /** Registers this replica and starts following the group; resolves once the group's Leases are listed. */
  async start(): Promise<void> {
    await this.renew();
    this.renewTimer = setInterval(() => {
      void this.renew();
    }, this.options.renewMs);
    this.watch = startWatch<Lease>(
      this.options.client,
      this.path(),
      {
        onList: (items) => {
          this.leases.clear();
          for (const l of items) this.observe(l);
        },
        onEvent: (event) => {
          const name = event.object.metadata.name ?? '';
          if (event.type === 'DELETED') {
            this.leases.delete(name);
            this.seen.delete(name);
          } else this.observe(event.object);
        },
        onError: (error) => this.options.onError?.(error),
      },
      { labelSelector: `${groupLabel}=${this.options.group}` },
    );
    await this.watch.ready;
    this.elector = new LeaderElector({
      client: this.options.client,
      namespace: this.options.namespace,
      name: `${this.options.group}-leader`,
      identity: this.options.identity,
      leaseDurationMs: this.options.leaseDurationMs,
      renewDeadlineMs: Math.floor((this.options.leaseDurationMs * 2) / 3),
      retryPeriodMs: Math.max(200, Math.floor(this.options.renewMs / 2)),
      onStartedLeading: (signal) => {
        const tick = () => {
          if (!signal.aborted) void this.publishPlan().catch((e: unknown) => this.options.onError?.(e));
        };
        tick();
        this.leaderTimer = setInterval(tick, this.options.renewMs);
        signal.addEventListener('abort', () => {
          clearInterval(this.leaderTimer);
        });
      },
      onError: (error) => this.options.onError?.(error),
    });
    this.elector.start();
  }

  /** Members the plan lets scrape now. */
  members(): readonly string[] {
    return membersAt(this.plan, Date.now());
  }

  /**
   * Leaves the group without dropping a target: marks the member leaving, waits (up to `timeoutMs`) until a
   * plan without it is in effect, then deletes its Lease and stops following the group.
   */
  async stop(timeoutMs = this.options.graceMs + 3 * this.options.renewMs): Promise<void> {
    this.leaving = true;
    await this.renew().catch((e: unknown) => this.options.onError?.(e));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.members().includes(this.options.identity))
      await sleep(Math.min(200, this.options.renewMs));
    clearInterval(this.renewTimer);
    clearInterval(this.leaderTimer);
    await this.elector?.stop();
    await this.watch?.stop();
    this.options.assignment.stop();
    await this.options.client.deleteJson(this.path(this.memberName())).catch((e: unknown) => {
      if (!isStatus(e, 404)) this.options.onError?.(e);
    });
  }

  private path(name?: string): string {
    return resourcePath(resources.leases, this.options.namespace, name);
  }

  private memberName(): string {
    return `${this.options.group}-member-${this.options.identity}`;
  }

  private observe(lease: Lease): void {
    const name = lease.metadata.name ?? '';
    this.leases.set(name, lease);
    const renewTime = lease.spec?.renewTime ?? '';
    if (this.seen.get(name)?.renewTime !== renewTime) this.seen.set(name, { renewTime, at: Date.now() });
    if (lease.metadata.labels?.[roleLabel] === 'plan') {
      try {
        const plan = JSON.parse(lease.metadata.annotations?.[planAnnotation] ?? '{"versions":[]}') as ShardPlan;
        if (!Array.isArray(plan.versions)) throw new Error(`lease ${name}: shard plan without versions`);
        this.plan = plan;
        this.options.assignment.setPlan(plan);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }

  /** Creates or renews this replica's member Lease. */
  private async renew(): Promise<void> {
    const { client, identity, group } = this.options;
    const name = this.memberName();
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: this.options.namespace,
        labels: { [groupLabel]: group, [roleLabel]: 'member' },
        annotations: this.leaving ? { [leavingAnnotation]: 'true' } : {},
      },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
        renewTime: microTime(new Date()),
      },
    };
    try {
      const current = this.leases.get(name);
      if (current?.metadata.resourceVersion) {
        await client.putJson(this.path(name), {
          ...body,
          metadata: { ...body.metadata, resourceVersion: current.metadata.resourceVersion },
        });
      } else {
        await client.postJson(this.path(), body).catch(async (e: unknown) => {
          if (!isStatus(e, 409)) throw e;
          const existing = await client.getJson<Lease>(this.path(name));
          await client.putJson(this.path(name), {
            ...body,
            metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion },
          });
        });
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /** Leader: turns the live members into the plan and writes it when it changed. */
  private async publishPlan(): Promise<void> {
    const now = Date.now();
    const live: string[] = [];
    for (const lease of this.leases.values()) {
      if (lease.metadata.labels?.[roleLabel] !== 'member' || lease.metadata.annotations?.[leavingAnnotation] === 'true')
        continue;
      const seen = this.seen.get(lease.metadata.name ?? '');
      if (seen && now - seen.at < this.options.leaseDurationMs && lease.spec?.holderIdentity)
        live.push(lease.spec.holderIdentity);
    }
    const next = evolvePlan(this.plan, live, now, this.plan.versions.length === 0 ? 0 : this.options.graceMs);
    if (next === this.plan) return;
    const name = `${this.options.group}-plan`;
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: this.options.namespace,
        labels: { [groupLabel]: this.options.group, [roleLabel]: 'plan' },
        annotations: { [planAnnotation]: JSON.stringify(next) },
      },
      spec: { holderIdentity: this.options.identity },
    };
    const current = this.leases.get(name);
    if (current?.metadata.resourceVersion) {
      await this.options.client.putJson(this.path(name), {
        ...body,
        metadata: { ...body.metadata, resourceVersion: current.metadata.resourceVersion },
      });
    } else {
      await this.options.client.postJson(this.path(), body);
    }
  }
}
