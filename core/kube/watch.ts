import type { Readable } from 'node:stream';
import type { KubeClient } from './client.ts';
import { KubeApiError } from './errors.ts';
import { listAll } from './list.ts';
import type { KubeStatus } from './errors.ts';
import type { KubeObject, WatchEvent } from './types.ts';
import { backoffDelay, sleep } from '../retry.ts';

/** Splits a byte stream into lines (without the newline); a final unterminated line is yielded too. */
export async function* splitLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      if (line.trim() !== '') yield line;
      nl = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  if (pending.trim() !== '') yield pending;
}

/** The API server said the requested resourceVersion is gone (410 / Expired): list again. */
export class WatchExpiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchExpiredError';
  }
}

/** Options of one watch connection. */
export interface WatchRequestOptions {
  /** Start after this resourceVersion; absent means "from now" with synthetic ADDED events for what exists. */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Ask for BOOKMARK events; default true. */
  allowWatchBookmarks?: boolean;
  /** Server-side end of the connection; default 300 s. The client gives up 30 s after it. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** Called once the server accepted the watch (response headers arrived), before any event. */
  onConnected?(): void;
}

/**
 * Events of one watch connection, until the server ends it or the signal aborts (then it simply
 * ends). An ERROR event with 410 and an HTTP 410 both throw {@link WatchExpiredError}; other ERROR
 * events throw {@link KubeApiError}.
 */
export async function* watchEvents<T extends KubeObject = KubeObject>(
  client: KubeClient,
  path: string,
  options: WatchRequestOptions = {},
): AsyncGenerator<WatchEvent<T>> {
  const timeoutSeconds = options.timeoutSeconds ?? 300;
  const guard = AbortSignal.timeout((timeoutSeconds + 30) * 1000);
  const signal = options.signal ? AbortSignal.any([options.signal, guard]) : guard;
  let res: Readable;
  try {
    res = await client.stream('GET', path, {
      query: {
        watch: 1,
        resourceVersion: options.resourceVersion,
        allowWatchBookmarks: options.allowWatchBookmarks ?? true,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        timeoutSeconds,
      },
      signal,
    });
  } catch (error) {
    if (options.signal?.aborted) return;
    if (error instanceof KubeApiError && error.status === 410) throw new WatchExpiredError(error.message);
    throw error;
  }
  options.onConnected?.();
  try {
    for await (const line of splitLines(res as AsyncIterable<Buffer>)) {
      const event = JSON.parse(line) as WatchEvent<T>;
      if (event.type === 'ERROR') {
        const status = event.object as unknown as KubeStatus;
        const message = `watch ${path}: ${status.code ?? '?'} ${status.reason ?? ''}: ${status.message ?? ''}`;
        if (status.code === 410) throw new WatchExpiredError(message);
        throw new KubeApiError({
          status: status.code ?? 500,
          verb: 'WATCH',
          path,
          body: Buffer.from(JSON.stringify(status)),
        });
      }
      yield event;
    }
  } catch (error) {
    if (signal.aborted && !(error instanceof WatchExpiredError) && !(error instanceof KubeApiError)) return;
    throw error;
  } finally {
    res.destroy();
  }
}

/** Callbacks of {@link startWatch}. They may be async; the watch waits for each. */
export interface WatchHandlers<T extends KubeObject = KubeObject> {
  /** Every object of a (re)list; replaces what the caller knew. Called first, and again after 410. */
  onList?(items: T[], resourceVersion: string): void | Promise<void>;
  /** ADDED, MODIFIED or DELETED (BOOKMARKs only move the resume point). */
  onEvent(event: WatchEvent<T>): void | Promise<void>;
  /** A failure the loop recovers from (reconnect or relist); for logs and counters. */
  onError?(error: unknown, action: 'reconnect' | 'relist'): void;
}

/** Options of {@link startWatch}. */
export interface WatchOptions<T extends KubeObject = KubeObject> extends Omit<
  WatchRequestOptions,
  'resourceVersion' | 'signal' | 'onConnected'
> {
  /** Resume from here without listing first; a 410 still relists. Default: list, then watch. */
  resourceVersion?: string;
  /** Objects per LIST page; default 500. */
  listLimit?: number;
  /**
   * Applied to every listed object as its page arrives (e.g. to keep only the fields the caller reads), before
   * onList sees them; watch events are passed as they come.
   */
  mapListItem?: (item: T) => T;
  /** Reconnect backoff; defaults 500 ms doubling up to 30 s, with jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** A running watch loop. */
export interface WatchHandle {
  /** resourceVersion of the last event, bookmark or list seen. */
  readonly resourceVersion: string | undefined;
  /** Ends the loop; resolves when it has stopped. */
  stop(): Promise<void>;
  /** Resolves once the first list succeeded, or (started from a resourceVersion) the first watch connection opened. */
  ready: Promise<void>;
}

/**
 * Keeps a watch going until stopped: lists (unless given a resourceVersion), watches from the last
 * resourceVersion seen (events and bookmarks), reconnects with backoff after errors and relists on
 * 410 Gone. Never rejects: failures go to onError and the loop carries on.
 */
export function startWatch<T extends KubeObject = KubeObject>(
  client: KubeClient,
  path: string,
  handlers: WatchHandlers<T>,
  options: WatchOptions<T> = {},
): WatchHandle {
  const controller = new AbortController();
  const { signal } = controller;
  let resourceVersion = options.resourceVersion;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  // Its own function, so that the listed objects are not kept alive by the loop's suspended frame while it
  // watches (an async function's locals live as long as it is suspended).
  const list = async (): Promise<void> => {
    const listed = await listAll<T>(client, path, {
      ...(options.mapListItem ? { mapItem: options.mapListItem } : {}),
      limit: options.listLimit,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      signal,
    });
    resourceVersion = listed.resourceVersion;
    await handlers.onList?.(listed.items, listed.resourceVersion);
  };
  const loop = async (): Promise<void> => {
    let failures = 0;
    let needList = resourceVersion === undefined;
    while (!signal.aborted) {
      try {
        if (needList) {
          await list();
          needList = false;
          markReady();
        }
        let sawSomething = false;
        const openedAt = Date.now();
        for await (const event of watchEvents<T>(client, path, {
          ...options,
          resourceVersion,
          signal,
          onConnected: markReady,
        })) {
          if (!sawSomething) {
            sawSomething = true;
            failures = 0;
          }
          const rv = event.object.metadata?.resourceVersion;
          if (rv) resourceVersion = rv;
          if (event.type !== 'BOOKMARK') await handlers.onEvent(event);
        }
        // A clean end (server timeout): reconnect at once from where we are, unless the server
        // keeps closing at once, which would spin.
        if (!sawSomething && Date.now() - openedAt < 1000) {
          failures++;
          await sleep(
            backoffDelay(failures, options.initialDelayMs ?? 500, options.maxDelayMs ?? 30_000),
            signal,
          ).catch(() => undefined);
        }
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof WatchExpiredError) {
          needList = true;
          handlers.onError?.(error, 'relist');
        } else {
          handlers.onError?.(error, 'reconnect');
        }
        failures++;
        // An expired resourceVersion is not a server problem: relist without waiting the first time.
        if (!(error instanceof WatchExpiredError && failures === 1)) {
          await sleep(
            backoffDelay(failures, options.initialDelayMs ?? 500, options.maxDelayMs ?? 30_000),
            signal,
          ).catch(() => undefined);
        }
      }
    }
  };
  const done = loop().catch((error: unknown) => {
    handlers.onError?.(error, 'reconnect');
  });
  return {
    get resourceVersion() {
      return resourceVersion;
    },
    ready,
    stop: async () => {
      controller.abort();
      await done;
      markReady();
    },
  };
}
