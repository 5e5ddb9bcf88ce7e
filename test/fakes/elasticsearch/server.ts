import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  errorBody,
  indexNotFound,
  rejectedExecution,
  serviceUnavailable,
  versionConflict,
  type EsErrorCause,
} from './errors.ts';
import { checkDocument, fieldTypesFromMappings, getField, type FieldTypes } from './mapping.ts';

/** A stored index template (PUT /_index_template/<name>). */
interface IndexTemplate {
  index_patterns: string[];
  priority?: number;
  template?: { settings?: unknown; mappings?: unknown; aliases?: unknown };
  data_stream?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** One index (or a data stream's single backing index). */
interface IndexState {
  name: string;
  types: FieldTypes;
  docs: Map<string, Record<string, unknown>>;
  dataStream?: string;
}

/** Faults the fake injects; change them at any time through {@link FakeElasticsearch.faults}. */
export interface Faults {
  /** Every request is answered with this status (429 or 503) until cleared. */
  down?: 429 | 503;
  /** The next N requests to _bulk are answered with a whole-request error of this status. */
  bulkStatus?: { status: 429 | 503; count: number; retryAfterSeconds?: number };
  /** Each bulk item whose document id (or source) matches is rejected with 429, `times` times per id. */
  itemReject?: { every?: number; match?: (id: string, source: Record<string, unknown>) => boolean; times: number };
  /** Documents whose source matches get a mapping error (400 document_parsing_exception), as if a field conflicted. */
  mappingError?: (source: Record<string, unknown>) => boolean;
  /** Delay before every answer. */
  delayMs?: number;
  /** The next N _bulk requests are indexed, then the connection is destroyed before the answer. */
  dropAfterIndexing?: number;
  /** The next N _bulk requests have their connection destroyed before anything is indexed. */
  dropBeforeIndexing?: number;
  /** Bulk bodies larger than this are refused with 413 and no body, as http.max_content_length does. */
  maxBodyBytes?: number;
}

/** Counters of what the fake received. */
export interface FakeStats {
  requests: number;
  bulkRequests: number;
  /** Bulk items received, retries and duplicates included. */
  bulkItems: number;
  /** Items stored (created). */
  created: number;
  /** Items refused because the id existed (409). */
  conflicts: number;
  rejected429: number;
  mappingErrors: number;
  droppedConnections: number;
  /** Bulk requests refused with 413. */
  tooLarge: number;
}

/** A running fake Elasticsearch 9 node. */
export interface FakeElasticsearch {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Mutable fault plan. */
  faults: Faults;
  stats: FakeStats;
  /** Every stored document of the indices (or data streams) matching the pattern (comma list, * wildcards). */
  documents(pattern?: string): { _index: string; _id: string; _source: Record<string, unknown> }[];
  /** Stops accepting connections and closes open ones; start() again on the same port. */
  stop(): Promise<void>;
  /** Starts again (after stop) on the same port, keeping the stored documents. */
  start(): Promise<void>;
}

/** Options of {@link startFakeElasticsearch}. */
export interface FakeElasticsearchOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
}

const product = 'Elasticsearch';

function wildcardToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

function randomId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let id = '';
  for (let i = 0; i < 20; i++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return id;
}

function dateSuffix(): string {
  const d = new Date();
  return `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
}

/**
 * Starts an HTTP server that answers as an Elasticsearch 9 node does for what watchkeeper uses:
 * GET /, index templates, _bulk, _refresh, _count and _search by term, with fault injection.
 * See README.md next to this file for what it does not do.
 */
export async function startFakeElasticsearch(options: FakeElasticsearchOptions = {}): Promise<FakeElasticsearch> {
  const templates = new Map<string, IndexTemplate>();
  const indices = new Map<string, IndexState>();
  const dataStreams = new Map<string, string>();
  const itemRejections = new Map<string, number>();
  let itemCounter = 0;
  const faults: Faults = {};
  const stats: FakeStats = {
    requests: 0,
    bulkRequests: 0,
    bulkItems: 0,
    created: 0,
    conflicts: 0,
    rejected429: 0,
    mappingErrors: 0,
    droppedConnections: 0,
    tooLarge: 0,
  };
  const sockets = new Set<Socket>();
  let seqNo = 0;

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const vendored = (req.headers.accept ?? '').includes('vnd.elasticsearch');
    const payload = req.method === 'HEAD' ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'X-Elastic-Product': product,
      'Content-Type': vendored ? 'application/vnd.elasticsearch+json;compatible-with=9' : 'application/json',
      'Content-Length': String(Buffer.byteLength(payload)),
      ...headers,
    });
    res.end(payload);
  };
  const fail = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    cause: EsErrorCause,
    headers?: Record<string, string>,
  ): void => {
    send(req, res, status, errorBody(status, cause), headers);
  };

  const matchingTemplate = (index: string): IndexTemplate | undefined => {
    let best: IndexTemplate | undefined;
    for (const template of templates.values()) {
      if (
        template.index_patterns.some((p) => wildcardToRegExp(p).test(index)) &&
        (best === undefined || (template.priority ?? 0) > (best.priority ?? 0))
      ) {
        best = template;
      }
    }
    return best;
  };

  const createIndex = (name: string, mappings?: unknown): IndexState => {
    const template = matchingTemplate(name);
    const types = fieldTypesFromMappings(template?.template?.mappings);
    fieldTypesFromMappings(mappings, '', types);
    const state: IndexState = { name, types, docs: new Map() };
    indices.set(name, state);
    return state;
  };

  /** Resolves a write target: a concrete index, or a data stream (created on first write when a template says so). */
  const writeTarget = (name: string, opType: string): { index?: IndexState; error?: EsErrorCause; status?: number } => {
    const backing = dataStreams.get(name);
    if (backing) {
      if (opType !== 'create')
        return {
          status: 400,
          error: {
            type: 'illegal_argument_exception',
            reason: `only write ops with an op_type of create are allowed in data streams`,
          },
        };
      return { index: indices.get(backing)! };
    }
    const existing = indices.get(name);
    if (existing) return { index: existing };
    const template = matchingTemplate(name);
    if (template?.data_stream) {
      if (opType !== 'create')
        return {
          status: 400,
          error: {
            type: 'illegal_argument_exception',
            reason: `only write ops with an op_type of create are allowed in data streams`,
          },
        };
      const backingName = `.ds-${name}-${dateSuffix()}-000001`;
      const index = createIndex(backingName);
      index.dataStream = name;
      dataStreams.set(name, backingName);
      return { index };
    }
    return { index: createIndex(name) };
  };

  /** Resolves a read target (comma list, wildcards, data stream names) to indices; missing concrete names are errors. */
  const readTargets = (target: string | undefined): { list: IndexState[]; missing?: string } => {
    if (target === undefined || target === '_all' || target === '*') return { list: [...indices.values()] };
    const list = new Set<IndexState>();
    for (const part of target.split(',')) {
      if (part.includes('*')) {
        const re = wildcardToRegExp(part);
        for (const index of indices.values())
          if (re.test(index.name) || (index.dataStream !== undefined && re.test(index.dataStream))) list.add(index);
        continue;
      }
      const index = indices.get(part) ?? indices.get(dataStreams.get(part) ?? '');
      if (!index) return { list: [], missing: part };
      list.add(index);
    }
    return { list: [...list] };
  };

  const shards = (n: number): { total: number; successful: number; skipped: number; failed: number } => ({
    total: n,
    successful: n,
    skipped: 0,
    failed: 0,
  });

  const matches = (doc: Record<string, unknown>, query: unknown): boolean => {
    if (query === undefined || query === null) return true;
    const q = query as Record<string, unknown>;
    if ('match_all' in q) return true;
    if ('term' in q) {
      const [field, spec] = Object.entries(q.term as Record<string, unknown>)[0] ?? [];
      if (field === undefined) return true;
      const wanted: unknown = typeof spec === 'object' && spec !== null && 'value' in spec ? spec.value : spec;
      const same = (v: unknown): boolean =>
        JSON.stringify(v) === JSON.stringify(wanted) ||
        (typeof v !== 'object' && typeof wanted !== 'object' && `${v as string}` === `${wanted as string}`);
      const value = getField(doc, field);
      return Array.isArray(value) ? value.some(same) : value !== undefined && same(value);
    }
    if ('bool' in q) {
      const bool = q.bool as { filter?: unknown; must?: unknown };
      const clauses: unknown[] = [bool.filter, bool.must].flatMap((c): unknown[] =>
        c === undefined ? [] : Array.isArray(c) ? (c as unknown[]) : [c],
      );
      return clauses.every((c) => matches(doc, c));
    }
    return false;
  };

  const handleBulk = (
    req: IncomingMessage,
    res: ServerResponse,
    body: string,
    pathIndex: string | undefined,
    refresh: boolean,
  ): void => {
    const started = Date.now();
    const lines = body.split('\n');
    const items: Record<string, unknown>[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      let action: Record<string, Record<string, unknown>>;
      try {
        action = JSON.parse(line) as Record<string, Record<string, unknown>>;
      } catch {
        fail(req, res, 400, {
          type: 'x_content_parse_exception',
          reason: `[${i + 1}:1] Unexpected character in action/metadata line`,
        });
        return;
      }
      const opType = Object.keys(action)[0] ?? '';
      if (!['index', 'create', 'delete', 'update'].includes(opType)) {
        fail(req, res, 400, {
          type: 'illegal_argument_exception',
          reason: `Malformed action/metadata line [${i + 1}], expected field [create], [delete], [index] or [update] but found [${opType}]`,
        });
        return;
      }
      const meta = action[opType] ?? {};
      let source: Record<string, unknown> = {};
      if (opType !== 'delete') {
        i++;
        try {
          source = JSON.parse(lines[i] ?? '') as Record<string, unknown>;
        } catch {
          fail(req, res, 400, {
            type: 'x_content_parse_exception',
            reason: `[${i + 1}:1] Unexpected end of input or character in document source`,
          });
          return;
        }
      }
      stats.bulkItems++;
      const target = (meta._index as string | undefined) ?? pathIndex;
      const id = (meta._id as string | undefined) ?? randomId();
      const result = (status: number, extra: Record<string, unknown>, indexName = target ?? ''): void => {
        if (status >= 300) errors = true;
        items.push({ [opType]: { _index: indexName, _id: id, status, ...extra } });
      };
      if (target === undefined) {
        result(400, {
          error: { type: 'action_request_validation_exception', reason: 'Validation Failed: 1: index is missing;' },
        });
        continue;
      }
      const reject = faults.itemReject;
      if (reject) {
        itemCounter++;
        const hit = reject.match
          ? reject.match(id, source)
          : reject.every !== undefined && itemCounter % reject.every === 0;
        const seen = itemRejections.get(id) ?? 0;
        if (hit && seen < reject.times) {
          itemRejections.set(id, seen + 1);
          stats.rejected429++;
          result(429, { error: rejectedExecution('primary') });
          continue;
        }
      }
      const resolved = writeTarget(target, opType);
      if (!resolved.index) {
        result(resolved.status ?? 400, { error: resolved.error });
        continue;
      }
      const index = resolved.index;
      if (opType === 'delete') {
        const existed = index.docs.delete(id);
        result(
          existed ? 200 : 404,
          {
            _version: 1,
            result: existed ? 'deleted' : 'not_found',
            _shards: { total: 2, successful: 1, failed: 0 },
            _seq_no: seqNo++,
            _primary_term: 1,
          },
          index.name,
        );
        continue;
      }
      if (opType === 'create' && index.docs.has(id)) {
        stats.conflicts++;
        result(409, { error: versionConflict(index.name, id) }, index.name);
        continue;
      }
      const mappingError = faults.mappingError?.(source)
        ? {
            type: 'document_parsing_exception',
            reason: `[1:2] failed to parse field [injected] of type [long] in document with id '${id}'. Preview of field's value: 'x'`,
            caused_by: { type: 'illegal_argument_exception', reason: 'For input string: "x"' },
          }
        : checkDocument(index.types, opType === 'update' ? (source.doc ?? {}) : source, id);
      if (mappingError) {
        stats.mappingErrors++;
        result(400, { error: mappingError }, index.name);
        continue;
      }
      const existed = index.docs.has(id);
      index.docs.set(
        id,
        opType === 'update' ? { ...(index.docs.get(id) ?? {}), ...(source.doc as Record<string, unknown>) } : source,
      );
      stats.created++;
      result(
        existed ? 200 : 201,
        {
          _version: 1,
          result: existed ? 'updated' : 'created',
          _shards: { total: 2, successful: 1, failed: 0 },
          _seq_no: seqNo++,
          _primary_term: 1,
        },
        index.name,
      );
    }
    if (faults.dropAfterIndexing && faults.dropAfterIndexing > 0) {
      faults.dropAfterIndexing--;
      stats.droppedConnections++;
      req.socket.destroy();
      return;
    }
    void refresh;
    send(req, res, 200, { errors, took: Date.now() - started, items });
  };

  const route = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const parsed = (): Record<string, unknown> =>
      body.trim() === '' ? {} : (JSON.parse(body) as Record<string, unknown>);

    if (parts.length === 0) {
      send(req, res, 200, {
        name: 'fake-node-0',
        cluster_name: 'watchkeeper-fake',
        cluster_uuid: 'f4k3f4k3f4k3f4k3f4k3f4',
        version: {
          number: '9.0.0',
          build_flavor: 'default',
          build_type: 'tar',
          build_hash: '0000000000000000000000000000000000000000',
          build_date: '2025-04-08T00:00:00.000Z',
          build_snapshot: false,
          lucene_version: '10.1.0',
          minimum_wire_compatibility_version: '8.18.0',
          minimum_index_compatibility_version: '8.0.0',
        },
        tagline: 'You Know, for Search',
      });
      return;
    }
    if (parts[0] === '_cluster' && parts[1] === 'health') {
      send(req, res, 200, {
        cluster_name: 'watchkeeper-fake',
        status: 'green',
        timed_out: false,
        number_of_nodes: 1,
        number_of_data_nodes: 1,
      });
      return;
    }
    if (parts[0] === '_index_template') {
      const name = parts[1];
      if (method === 'PUT' || method === 'POST') {
        if (!name) {
          fail(req, res, 400, { type: 'illegal_argument_exception', reason: 'index template name is missing' });
          return;
        }
        const template = parsed() as unknown as IndexTemplate;
        if (!Array.isArray(template.index_patterns)) {
          fail(req, res, 400, {
            type: 'action_request_validation_exception',
            reason: 'Validation Failed: 1: index patterns are missing;',
          });
          return;
        }
        templates.set(name, template);
        send(req, res, 200, { acknowledged: true });
        return;
      }
      if (method === 'DELETE') {
        if (!name || !templates.delete(name)) {
          fail(req, res, 404, { type: 'resource_not_found_exception', reason: `index_template [${name}] missing` });
          return;
        }
        send(req, res, 200, { acknowledged: true });
        return;
      }
      const found = [...templates.entries()].filter(([n]) => name === undefined || wildcardToRegExp(name).test(n));
      if (name !== undefined && found.length === 0) {
        fail(req, res, 404, {
          type: 'resource_not_found_exception',
          reason: `index template matching [${name}] not found`,
        });
        return;
      }
      send(req, res, 200, { index_templates: found.map(([n, t]) => ({ name: n, index_template: t })) });
      return;
    }
    if (parts[0] === '_bulk' || parts[1] === '_bulk') {
      stats.bulkRequests++;
      const bulkFault = faults.bulkStatus;
      if (bulkFault && bulkFault.count > 0) {
        bulkFault.count--;
        const headers: Record<string, string> =
          bulkFault.retryAfterSeconds !== undefined ? { 'Retry-After': String(bulkFault.retryAfterSeconds) } : {};
        fail(
          req,
          res,
          bulkFault.status,
          bulkFault.status === 429 ? rejectedExecution('coordinating') : serviceUnavailable(),
          headers,
        );
        return;
      }
      if (faults.maxBodyBytes !== undefined && Buffer.byteLength(body) > faults.maxBodyBytes) {
        stats.tooLarge++;
        res.writeHead(413, { 'X-Elastic-Product': product, 'Content-Length': '0' });
        res.end();
        return;
      }
      if (faults.dropBeforeIndexing && faults.dropBeforeIndexing > 0) {
        faults.dropBeforeIndexing--;
        stats.droppedConnections++;
        req.socket.destroy();
        return;
      }
      handleBulk(req, res, body, parts[1] === '_bulk' ? parts[0] : undefined, url.searchParams.has('refresh'));
      return;
    }
    if (parts[0] === '_refresh' || parts[1] === '_refresh') {
      const { list, missing } = readTargets(parts[0] === '_refresh' ? undefined : parts[0]);
      if (missing) {
        fail(req, res, 404, indexNotFound(missing));
        return;
      }
      send(req, res, 200, { _shards: { total: list.length * 2, successful: list.length, failed: 0 } });
      return;
    }
    if (parts[0] === '_count' || parts[1] === '_count' || parts[0] === '_search' || parts[1] === '_search') {
      const { list, missing } = readTargets(parts[0]?.startsWith('_') ? undefined : parts[0]);
      if (missing) {
        fail(req, res, 404, indexNotFound(missing));
        return;
      }
      let request: Record<string, unknown>;
      try {
        request = parsed();
      } catch {
        fail(req, res, 400, { type: 'parsing_exception', reason: 'request body is not valid JSON' });
        return;
      }
      const q = url.searchParams.get('q');
      let query = request.query;
      if (q) {
        const colon = q.indexOf(':');
        query =
          colon > 0 ? { term: { [q.slice(0, colon)]: q.slice(colon + 1).replace(/^"|"$/g, '') } } : { match_all: {} };
      }
      const hits = list.flatMap((index) =>
        [...index.docs.entries()]
          .filter(([, doc]) => matches(doc, query))
          .map(([id, doc]) => ({ _index: index.name, _id: id, _score: 1.0, _source: doc })),
      );
      if (parts.includes('_count')) {
        send(req, res, 200, { count: hits.length, _shards: shards(list.length) });
        return;
      }
      const from = Number(request.from ?? url.searchParams.get('from') ?? 0);
      const size = Number(request.size ?? url.searchParams.get('size') ?? 10);
      send(req, res, 200, {
        took: 1,
        timed_out: false,
        _shards: shards(list.length),
        hits: {
          total: { value: hits.length, relation: 'eq' },
          max_score: hits.length ? 1.0 : null,
          hits: hits.slice(from, from + size),
        },
      });
      return;
    }
    if (parts.length === 1 && !parts[0]!.startsWith('_')) {
      const name = parts[0]!;
      if (method === 'PUT') {
        if (indices.has(name)) {
          fail(req, res, 400, {
            type: 'resource_already_exists_exception',
            reason: `index [${name}/fake-uuid] already exists`,
            index: name,
          });
          return;
        }
        createIndex(name, parsed().mappings);
        send(req, res, 200, { acknowledged: true, shards_acknowledged: true, index: name });
        return;
      }
      if (method === 'DELETE') {
        const { list, missing } = readTargets(name);
        if (missing) {
          fail(req, res, 404, indexNotFound(missing));
          return;
        }
        for (const index of list) {
          indices.delete(index.name);
          if (index.dataStream) dataStreams.delete(index.dataStream);
        }
        send(req, res, 200, { acknowledged: true });
        return;
      }
      if (method === 'HEAD' || method === 'GET') {
        const { list, missing } = readTargets(name);
        if (missing) {
          fail(req, res, 404, indexNotFound(missing));
          return;
        }
        send(req, res, 200, Object.fromEntries(list.map((i) => [i.name, { aliases: {}, mappings: {}, settings: {} }])));
        return;
      }
    }
    fail(req, res, 400, {
      type: 'illegal_argument_exception',
      reason: `request [${url.pathname}] contains unrecognized parameters or is not supported by this fake`,
    });
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    stats.requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (): void => {
        if (res.destroyed) return;
        if (faults.down !== undefined) {
          fail(req, res, faults.down, faults.down === 429 ? rejectedExecution('coordinating') : serviceUnavailable());
          return;
        }
        try {
          route(req, res, Buffer.concat(chunks).toString('utf8'));
        } catch (error) {
          fail(req, res, 500, { type: 'exception', reason: String(error) });
        }
      };
      if (faults.delayMs) setTimeout(answer, faults.delayMs);
      else answer();
    });
  };

  let server: Server | undefined;
  let port = options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
  const start = async (): Promise<void> => {
    const s = createServer({ keepAliveTimeout: 30_000 }, handler);
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  await start();

  return {
    url: `http://${host}:${port}`,
    port,
    faults,
    stats,
    documents(pattern) {
      return readTargets(pattern).list.flatMap((index) =>
        [...index.docs.entries()].map(([id, source]) => ({ _index: index.name, _id: id, _source: source })),
      );
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    start,
  };
}
