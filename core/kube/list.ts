import type { KubeClient, Query } from './client.ts';
import { KubeApiError } from './errors.ts';
import type { KubeList, KubeObject } from './types.ts';

/** Options of {@link listPages}. */
export interface ListOptions {
  /** Objects per page; default 500. */
  limit?: number;
  labelSelector?: string;
  fieldSelector?: string;
  /** More query parameters, e.g. { resourceVersion: '0' }. */
  query?: Query;
  signal?: AbortSignal;
  /** Bound of one page request. */
  timeoutMs?: number;
  /** Continue token to start from (e.g. to resume a paged read); a 410 on it restarts from the first page. */
  continueToken?: string;
  /** How many times an expired continue token (410) may restart the list; default 3. */
  maxRestarts?: number;
}

/** One page of a paged LIST. */
export interface ListPage<T extends KubeObject = KubeObject> {
  items: T[];
  /** The page exactly as the server sent it. */
  raw: Buffer;
  /** resourceVersion of the list (the same for every page of one consistent list). */
  resourceVersion: string;
  /** True on the first page after an expired continue token restarted the list: drop what earlier pages gave. */
  restarted: boolean;
  /** True on the final page. */
  last: boolean;
}

/**
 * Lists a collection page by page (limit/continue). When the continue token expires (410 Gone,
 * the snapshot was compacted) the list starts again from the first page, and that page says so.
 */
export async function* listPages<T extends KubeObject = KubeObject>(
  client: KubeClient,
  path: string,
  options: ListOptions = {},
): AsyncGenerator<ListPage<T>, void> {
  const maxRestarts = options.maxRestarts ?? 3;
  let restarts = 0;
  let token: string | undefined = options.continueToken;
  let restarted = false;
  for (;;) {
    const query: Query = {
      ...options.query,
      limit: options.limit ?? 500,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      continue: token,
    };
    let raw: Buffer;
    try {
      raw = (await client.request('GET', path, { query, signal: options.signal, timeoutMs: options.timeoutMs })).body;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 410 && token !== undefined && restarts < maxRestarts) {
        restarts++;
        token = undefined;
        restarted = true;
        continue;
      }
      throw error;
    }
    const list = JSON.parse(raw.toString('utf8')) as KubeList<T>;
    token = list.metadata.continue || undefined;
    yield {
      items: list.items,
      raw,
      resourceVersion: list.metadata.resourceVersion ?? '',
      restarted,
      last: token === undefined,
    };
    restarted = false;
    if (token === undefined) return;
  }
}

/** Lists every object of a collection (paged), with the list's resourceVersion for a following watch. */
export async function listAll<T extends KubeObject = KubeObject>(
  client: KubeClient,
  path: string,
  options: ListOptions & {
    /**
     * Applied to each object as its page arrives, so that only one page of whole objects is held at a time
     * (with 10,000 pods, trimming after the last page left 230 MiB of heap reserved; docs/benchmarks.md).
     */
    mapItem?: (item: T) => T;
  } = {},
): Promise<{ items: T[]; resourceVersion: string }> {
  let items: T[] = [];
  let resourceVersion = '';
  const { mapItem } = options;
  for await (const page of listPages<T>(client, path, options)) {
    if (page.restarted) items = [];
    for (const item of page.items) items.push(mapItem ? mapItem(item) : item);
    resourceVersion = page.resourceVersion;
  }
  return { items, resourceVersion };
}
