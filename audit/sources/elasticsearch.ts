import { readFileSync } from 'node:fs';
import { Client, errors } from '@elastic/elasticsearch';
import { auditIndexPattern, auditTimestampField, type AuditDocument } from '../../core/audit-documents.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import { finalStages, matchesQuery, type AuditQuery, type Selector } from '../query.ts';
import type { AuditSource, SearchStats } from '../source.ts';

/** How to reach the Elasticsearch the agent ships to (the agent's `logs.elasticsearch` settings). */
export interface ElasticsearchAuditOptions {
  url: string;
  username?: string;
  password?: string;
  apiKey?: string;
  caFile?: string;
  indexPrefix: string;
  mode: 'daily' | 'datastream';
  requestTimeoutSeconds: number;
}

/** Documents per page: large pages cost memory, small ones round trips (2,000 measured in bench/audit). */
const pageSize = 2000;

type EsQuery = Record<string, unknown>;

/** An Elasticsearch bool filter for one selector. */
export function selectorFilter(s: Selector): EsQuery {
  const filter: EsQuery[] = [];
  const terms = (field: string, values: readonly string[] | undefined): void => {
    if (values !== undefined) filter.push({ terms: { [field]: [...values] } });
  };
  terms('verb', s.verbs);
  terms('objectRef.resource', s.resources);
  if (s.subresources !== undefined) {
    const named = s.subresources.filter((r) => r !== '');
    const either: EsQuery[] = [];
    if (named.length > 0) either.push({ terms: { 'objectRef.subresource': named } });
    if (s.subresources.includes(''))
      either.push({ bool: { must_not: [{ exists: { field: 'objectRef.subresource' } }] } });
    filter.push({ bool: { should: either, minimum_should_match: 1 } });
  }
  if (s.apiGroups !== undefined) {
    const named = s.apiGroups.filter((g) => g !== '');
    const either: EsQuery[] = [];
    if (named.length > 0) either.push({ terms: { 'objectRef.apiGroup': named } });
    if (s.apiGroups.includes('')) either.push({ bool: { must_not: [{ exists: { field: 'objectRef.apiGroup' } }] } });
    filter.push({ bool: { should: either, minimum_should_match: 1 } });
  }
  if (s.namespace !== undefined) filter.push({ term: { 'objectRef.namespace': s.namespace } });
  if (s.name !== undefined) filter.push({ term: { 'objectRef.name': s.name } });
  if (s.user !== undefined) {
    filter.push({
      bool: {
        should: [{ term: { 'user.username': s.user } }, { term: { 'impersonatedUser.username': s.user } }],
        minimum_should_match: 1,
      },
    });
  }
  if (s.group !== undefined) filter.push({ term: { 'user.groups': s.group } });
  if (s.impersonated === true) filter.push({ exists: { field: 'impersonatedUser.username' } });
  if (s.minCode !== undefined || s.maxCode !== undefined) {
    filter.push({
      range: {
        'responseStatus.code': {
          ...(s.minCode !== undefined ? { gte: s.minCode } : {}),
          ...(s.maxCode !== undefined ? { lte: s.maxCode } : {}),
        },
      },
    });
  }
  return { bool: { filter } };
}

/** The Elasticsearch query for an audit query. */
export function elasticsearchQuery(query: AuditQuery): EsQuery {
  const range = { range: { [auditTimestampField]: { gte: query.since.toISOString(), lt: query.until.toISOString() } } };
  const filter: EsQuery[] = [range, { terms: { stage: [...finalStages] } }];
  if (query.any.length > 0) filter.push({ bool: { should: query.any.map(selectorFilter), minimum_should_match: 1 } });
  return { bool: { filter } };
}

/** The URL without user and password, for messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Reads audit events from Elasticsearch with a point in time and search_after (time order,
 * 2,000 documents a page), so a day of events streams through in pages and none is held.
 * Each hit is checked again in memory, so the answer does not depend on the index mapping.
 */
export class ElasticsearchAuditSource implements AuditSource {
  readonly description: string;
  private readonly client: Client;
  private readonly index: string;

  constructor(options: ElasticsearchAuditOptions) {
    this.index = auditIndexPattern(options.indexPrefix, options.mode);
    this.description = `Elasticsearch at ${safeUrl(options.url)} (${this.index})`;
    this.client = new Client({
      node: options.url,
      maxRetries: 2,
      requestTimeout: options.requestTimeoutSeconds * 1000,
      ...(options.apiKey
        ? { auth: { apiKey: options.apiKey } }
        : options.username
          ? { auth: { username: options.username, password: options.password ?? '' } }
          : {}),
      ...(options.caFile ? { tls: { ca: readFileSync(options.caFile) } } : {}),
    });
  }

  async search(query: AuditQuery, visit: (event: AuditDocument) => void, signal?: AbortSignal): Promise<SearchStats> {
    const stats: SearchStats = { inRange: 0, matched: 0, unreadable: 0 };
    const esQuery = elasticsearchQuery(query);
    const inRangeQuery = { bool: { filter: [(esQuery.bool as { filter: EsQuery[] }).filter[0]] } };
    try {
      stats.inRange = (
        await this.client.count(
          { index: this.index, query: inRangeQuery, allow_no_indices: true, ignore_unavailable: true },
          { signal },
        )
      ).count;
      if (stats.inRange === 0) return stats;
      const pit = await this.client.openPointInTime(
        { index: this.index, keep_alive: '2m', ignore_unavailable: true },
        { signal },
      );
      try {
        let after: (string | number)[] | undefined;
        for (;;) {
          const page = await this.client.search<AuditDocument>(
            {
              pit: { id: pit.id, keep_alive: '2m' },
              size: pageSize,
              query: esQuery,
              track_total_hits: false,
              sort: [{ [auditTimestampField]: 'asc' }, { _shard_doc: 'asc' }],
              ...(after ? { search_after: after } : {}),
            },
            { signal },
          );
          const hits = page.hits.hits;
          for (const hit of hits) {
            const doc = hit._source;
            if (!doc) {
              stats.unreadable++;
              continue;
            }
            if (!matchesQuery(doc, query)) continue;
            stats.matched++;
            visit(doc);
          }
          if (hits.length < pageSize) break;
          after = hits[hits.length - 1]!.sort as (string | number)[];
        }
      } finally {
        await this.client.closePointInTime({ id: pit.id }).catch(() => undefined);
      }
    } catch (error) {
      throw this.explain(error);
    }
    return stats;
  }

  private explain(error: unknown): Error {
    if (error instanceof WatchkeeperError) return error;
    if (
      error instanceof errors.ConnectionError ||
      error instanceof errors.TimeoutError ||
      error instanceof errors.NoLivingConnectionsError
    ) {
      return new WatchkeeperError(
        'failed',
        `cannot reach ${this.description}: ${error.message}; check logs.elasticsearch.url and that Elasticsearch is up`,
        { cause: error },
      );
    }
    if (error instanceof errors.ResponseError) {
      const status = error.statusCode ?? 0;
      const reason =
        status === 401 || status === 403
          ? 'the credentials were refused (logs.elasticsearch.username/password or apiKey)'
          : `HTTP ${status}: ${error.message}`;
      return new WatchkeeperError('failed', `${this.description} answered with an error: ${reason}`, { cause: error });
    }
    return new WatchkeeperError('failed', `reading ${this.description} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
