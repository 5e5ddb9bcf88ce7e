import type { TargetLabels, TargetSource } from '../types.ts';
import type { SharedWatches, WatchedKind } from './shared-watches.ts';
import type { WatchedStore } from './watched-store.ts';
import type { KubeObject } from '../../../core/kube/index.ts';

/** A collection a source reads. */
export interface WatchNeed {
  kind: WatchedKind;
  labelSelector?: string;
  fieldSelector?: string;
}

/** Options of {@link KubernetesTargetSource}. */
export interface KubernetesTargetSourceOptions {
  job: string;
  watches: SharedWatches;
  needs: readonly WatchNeed[];
  /** Computes the job's targets from the stores, in the order of `needs`. */
  build(stores: readonly WatchedStore<KubeObject>[]): TargetLabels[];
  /** Changes within this window make one update (a node with 100 pods starting is one update, not 100). */
  debounceMs?: number;
}

/**
 * A job's targets from shared watches: the full set is rebuilt from the caches after changes, at most once per
 * debounce window (relabeling downstream drops updates that change nothing it keeps).
 */
export class KubernetesTargetSource implements TargetSource {
  readonly job: string;
  private readonly options: KubernetesTargetSourceOptions;
  private stores: WatchedStore<KubeObject>[] = [];
  private unsubscribe: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private onChange: ((targets: readonly TargetLabels[]) => void) | undefined;
  /** Times the target set was rebuilt. */
  builds = 0;

  constructor(options: KubernetesTargetSourceOptions) {
    this.options = options;
    this.job = options.job;
  }

  async start(onChange: (targets: readonly TargetLabels[]) => void): Promise<void> {
    this.onChange = onChange;
    this.stores = await Promise.all(
      this.options.needs.map((n) => this.options.watches.acquire(n.kind, n) as Promise<WatchedStore<KubeObject>>),
    );
    this.unsubscribe = this.stores.map((s) =>
      s.subscribe(() => {
        this.schedule();
      }),
    );
    this.update();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.onChange = undefined;
    await Promise.all(this.options.needs.map((n) => this.options.watches.release(n.kind, n)));
  }

  private schedule(): void {
    if (this.timer || !this.onChange) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.update();
    }, this.options.debounceMs ?? 200);
  }

  private update(): void {
    if (!this.onChange) return;
    this.builds++;
    this.onChange(this.options.build(this.stores));
  }
}
