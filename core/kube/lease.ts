import type { KubeClient } from './client.ts';
import { isStatus } from './errors.ts';
import { resourcePath, resources } from './paths.ts';
import type { KubeObject } from './types.ts';
import { sleep } from '../retry.ts';

/** A coordination.k8s.io/v1 Lease. */
export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  /** Name of the Lease object, shared by every candidate. */
  name: string;
  /** Unique per candidate, e.g. the pod name. */
  identity: string;
  /** How long a lease is valid after its last renewal as seen by others; default 15 s. */
  leaseDurationMs?: number;
  /** The leader gives up when it could not renew for this long; default 10 s (less than the duration). */
  renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew; default 2 s. */
  retryPeriodMs?: number;
  /** Called on becoming leader; the signal aborts when leadership is lost or the elector stops. */
  onStartedLeading?(signal: AbortSignal): void;
  /** Called after leadership ended (lost, or released by stop()). */
  onStoppedLeading?(): void;
  /** Called when the observed holder changes (including to this identity). */
  onNewLeader?(identity: string): void;
  /** Told about failed attempts (for logs); never fatal. */
  onError?(error: unknown): void;
}

/**
 * Leader election on a Lease, the way Kubernetes components do it: candidates try to acquire or
 * renew every retry period; a lease is free when its holder has not renewed for leaseDuration
 * (measured on this process's clock from when the record last changed, so clocks need not agree);
 * the leader steps down when it cannot renew within renewDeadline, and releases the lease on stop().
 */
export class LeaderElector {
  private readonly options: Required<
    Pick<LeaderElectorOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>
  > &
    LeaderElectorOptions;
  private readonly controller = new AbortController();
  private leading: AbortController | undefined;
  private observed: { holder: string; renewTime: string; at: number } | undefined;
  private loop: Promise<void> | undefined;
  private lastLeader = '';

  constructor(options: LeaderElectorOptions) {
    this.options = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
    if (this.options.renewDeadlineMs >= this.options.leaseDurationMs)
      throw new Error('renewDeadlineMs must be shorter than leaseDurationMs');
  }

  /** True while this candidate holds the lease. */
  isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** Identity of the holder last seen ('' when none). */
  get leader(): string {
    return this.lastLeader;
  }

  /** Starts campaigning in the background. */
  start(): void {
    this.loop ??= this.run().catch((error: unknown) => this.options.onError?.(error));
  }

  /** Stops campaigning; a leader releases the lease so another candidate takes over at once. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
    if (this.leading) {
      try {
        await this.release();
      } catch (error) {
        this.options.onError?.(error);
      }
      this.stepDown();
    }
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let lastRenew = 0;
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (error) {
        if (signal.aborted) break;
        this.options.onError?.(error);
      }
      if (ok) {
        lastRenew = Date.now();
        if (!this.leading) {
          this.leading = new AbortController();
          this.options.onStartedLeading?.(this.leading.signal);
        }
      } else if (this.leading && Date.now() - lastRenew >= this.options.renewDeadlineMs) {
        this.stepDown();
      }
      await sleep(this.options.retryPeriodMs, signal).catch(() => undefined);
    }
  }

  private stepDown(): void {
    const leading = this.leading;
    if (!leading) return;
    this.leading = undefined;
    leading.abort(new Error('leadership lost'));
    this.options.onStoppedLeading?.();
  }

  private path(name?: string): string {
    return resourcePath(resources.leases, this.options.namespace, name);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, identity, name } = this.options;
    const signal = this.controller.signal;
    const timeoutMs = Math.max(1000, this.options.renewDeadlineMs / 2);
    const now = microTime(new Date());
    let lease: Lease;
    try {
      lease = await client.getJson<Lease>(this.path(name), { signal, timeoutMs });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
      const fresh: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: this.options.namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
          acquireTime: now,
          renewTime: now,
          leaseTransitions: 0,
        },
      };
      try {
        await client.postJson(this.path(), fresh, { signal, timeoutMs });
      } catch (createError) {
        if (isStatus(createError, 409)) return false;
        throw createError;
      }
      this.see(identity, now);
      return true;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    this.see(holder, spec.renewTime ?? '');
    const expired =
      holder === '' || this.observed === undefined || Date.now() - this.observed.at >= this.options.leaseDurationMs;
    if (holder !== identity && !expired) return false;
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
        renewTime: now,
        acquireTime: holder === identity ? (spec.acquireTime ?? now) : now,
        leaseTransitions: holder === identity ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      await client.putJson(this.path(name), next, { signal, timeoutMs });
    } catch (error) {
      // 409: someone else wrote the lease since we read it; try again next period.
      if (isStatus(error, 409)) return false;
      throw error;
    }
    this.see(identity, now);
    return true;
  }

  private async release(): Promise<void> {
    const { client, name, identity } = this.options;
    const lease = await client.getJson<Lease>(this.path(name), { timeoutMs: 5000 });
    if (lease.spec?.holderIdentity !== identity) return;
    await client.putJson(
      this.path(name),
      {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) },
      },
      { timeoutMs: 5000 },
    );
  }

  private see(holder: string, renewTime: string): void {
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) {
      this.observed = { holder, renewTime, at: Date.now() };
    }
    if (holder !== this.lastLeader) {
      this.lastLeader = holder;
      if (holder !== '') this.options.onNewLeader?.(holder);
    }
  }
}

/** Formats a time as a Kubernetes MicroTime (RFC 3339 with microseconds). */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
