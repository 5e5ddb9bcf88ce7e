import type { KubeClient } from './client.ts';
import { startWatch, type WatchHandle, type WatchOptions } from './watch.ts';
import { objectKey, type KubeObject } from './types.ts';

/** What changed in an {@link Informer}'s cache. */
export type CacheChange<T extends KubeObject> =
  { type: 'added'; object: T } | { type: 'modified'; object: T; previous: T } | { type: 'deleted'; object: T };

/** Options of {@link Informer}. */
export interface InformerOptions extends Omit<WatchOptions, 'mapListItem'> {
  /** Told about failures the watch recovers from. */
  onError?(error: unknown, action: 'reconnect' | 'relist'): void;
}

/**
 * A watch-backed cache of one collection (e.g. the pods of one node). It lists, then watches, and
 * after a relist reports the difference as changes, so listeners see every add, change and delete.
 */
export class Informer<T extends KubeObject = KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly listeners = new Set<(change: CacheChange<T>) => void>();
  private handle: WatchHandle | undefined;
  private synced = false;
  private readonly client: KubeClient;
  private readonly path: string;
  private readonly options: InformerOptions;

  /** `path` is a collection, e.g. resourcePath(resources.pods) or one namespace's pods. */
  constructor(client: KubeClient, path: string, options: InformerOptions = {}) {
    this.client = client;
    this.path = path;
    this.options = options;
  }

  /** Starts listing and watching; resolves when the first list is in the cache. */
  async start(): Promise<void> {
    if (this.handle) return this.handle.ready;
    this.handle = startWatch<T>(
      this.client,
      this.path,
      {
        onList: (items) => {
          this.replace(items);
        },
        onEvent: (event) => {
          const key = objectKey(event.object);
          const previous = this.store.get(key);
          if (event.type === 'DELETED') {
            if (previous) {
              this.store.delete(key);
              this.emit({ type: 'deleted', object: event.object });
            }
          } else {
            this.store.set(key, event.object);
            this.emit(
              previous ? { type: 'modified', object: event.object, previous } : { type: 'added', object: event.object },
            );
          }
        },
        onError: (error, action) => this.options.onError?.(error, action),
      },
      { ...this.options, resourceVersion: undefined },
    );
    await this.handle.ready;
  }

  /** True once the first list has filled the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** The cached object, by namespace and name (namespace undefined for cluster-scoped objects). */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Every cached object, optionally of one namespace. */
  list(namespace?: string): T[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  /** Subscribes to changes; returns the unsubscribe function. Listeners must not throw. */
  onChange(listener: (change: CacheChange<T>) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** resourceVersion the cache is at. */
  get resourceVersion(): string | undefined {
    return this.handle?.resourceVersion;
  }

  /** Stops the watch; the cache keeps its last content. */
  async stop(): Promise<void> {
    await this.handle?.stop();
  }

  private replace(items: T[]): void {
    const fresh = new Map(items.map((o) => [objectKey(o), o] as const));
    for (const [key, old] of this.store) {
      if (!fresh.has(key)) {
        this.store.delete(key);
        this.emit({ type: 'deleted', object: old });
      }
    }
    for (const [key, object] of fresh) {
      const previous = this.store.get(key);
      this.store.set(key, object);
      if (!previous) this.emit({ type: 'added', object });
      else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion)
        this.emit({ type: 'modified', object, previous });
    }
    this.synced = true;
  }

  private emit(change: CacheChange<T>): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        /* a listener's bug must not stop the cache */
      }
    }
  }
}
