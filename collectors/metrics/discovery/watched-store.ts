import { objectKey, startWatch, type KubeClient, type KubeObject, type WatchHandle } from '../../../core/kube/index.ts';

/** Options of a {@link WatchedStore}. */
export interface WatchedStoreOptions<T extends KubeObject> {
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Keeps only what discovery reads (no managedFields, no status history), so 10,000 cached pods do not cost
   * 10,000 full pod objects. Returns a new object; the store keeps that.
   */
  trim(object: T): T;
  /** Told about watch failures the loop recovers from. */
  onError?(error: unknown, action: 'reconnect' | 'relist'): void;
}

/**
 * A watch-backed cache of one collection (list once, then watch; relist only on 410), holding trimmed objects.
 * Listeners hear "something changed" and read the store; one store serves every job that needs the collection.
 */
export class WatchedStore<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  private readonly listeners = new Set<() => void>();
  private handle: WatchHandle | undefined;
  private readonly client: KubeClient;
  private readonly path: string;
  private readonly options: WatchedStoreOptions<T>;
  /** Times this store was listed (the first list and relists after 410), for tests and metrics. */
  lists = 0;

  constructor(client: KubeClient, path: string, options: WatchedStoreOptions<T>) {
    this.client = client;
    this.path = path;
    this.options = options;
  }

  /** Starts the watch; resolves after the first list. */
  async start(): Promise<void> {
    if (this.handle) return this.handle.ready;
    const { labelSelector, fieldSelector } = this.options;
    this.handle = startWatch<T>(
      this.client,
      this.path,
      {
        onList: (items) => {
          this.lists++;
          this.objects.clear();
          // Already trimmed page by page (mapListItem below).
          for (const item of items) this.objects.set(objectKey(item), item);
          this.notify();
        },
        onEvent: (event) => {
          const key = objectKey(event.object);
          if (event.type === 'DELETED') this.objects.delete(key);
          else this.objects.set(key, this.options.trim(event.object));
          this.notify();
        },
        onError: (error, action) => this.options.onError?.(error, action),
      },
      {
        ...(labelSelector ? { labelSelector } : {}),
        ...(fieldSelector ? { fieldSelector } : {}),
        mapListItem: (item) => this.options.trim(item),
      },
    );
    await this.handle.ready;
  }

  /** Every cached object. */
  values(): IterableIterator<T> {
    return this.objects.values();
  }

  /** Objects held. */
  get size(): number {
    return this.objects.size;
  }

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Stops the watch. */
  async stop(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.stop();
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        /* a listener's bug must not stop the watch */
      }
    }
  }
}
