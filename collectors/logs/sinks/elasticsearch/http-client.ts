import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Where and how {@link ElasticsearchHttp} connects. */
export interface ElasticsearchHttpOptions {
  /** Base URL; user and password in it become basic auth. */
  url: string;
  /** API key (base64 id:key); takes precedence over user and password. */
  apiKey?: string;
  username?: string;
  password?: string;
  /** CA of the server certificate (https). */
  ca?: Buffer;
  /** Bound of one request, from sending to the last byte of the answer. */
  timeoutMs: number;
}

/** An answer, whatever its status. */
export interface ElasticsearchAnswer {
  status: number;
  /** The body as received; decoded only by who needs it (a _bulk answer of 10,000 items is about 300 KB). */
  body: Buffer;
  /** The Retry-After header, when the server sent one. */
  retryAfter?: string;
}

/** A request that did not finish within the timeout. */
export class ElasticsearchTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer from Elasticsearch within ${timeoutMs} ms`);
    this.name = 'ElasticsearchTimeoutError';
  }
}

/**
 * Elasticsearch refused the credentials (401) or their privileges (403). Nothing was stored; the
 * same request succeeds once the credentials are fixed, so what was sent must be kept, never
 * dead-lettered. The message names the status and what to check, never the credentials.
 */
export class ElasticsearchAuthError extends Error {
  readonly status: number;
  constructor(status: number, request: string, body: Buffer) {
    let reason = '';
    try {
      reason = (JSON.parse(body.toString('utf8')) as { error?: { reason?: string } }).error?.reason ?? '';
    } catch {
      /* not JSON */
    }
    const check =
      status === 401
        ? 'check elasticsearch.username and password, elasticsearch.apiKey (expired or revoked?) ' +
          'or the user and password in elasticsearch.url'
        : 'the credentials are accepted but lack privileges: the role needs create_doc, create_index and ' +
          "auto_configure on the sink's indices and manage_index_templates";
    super(`Elasticsearch answered ${status} to ${request}${reason ? ` (${reason})` : ''}: ${check}`);
    this.name = 'ElasticsearchAuthError';
    this.status = status;
  }
}

/**
 * The few Elasticsearch requests the log shipper makes (_bulk, index templates), on node:http(s)
 * with keep-alive connections. Hand-written instead of @elastic/elasticsearch because of memory:
 * that client loads its whole API, @elastic/transport, OpenTelemetry and all of undici (fetch,
 * websockets, mocks, caches) for the one request the sink makes. Measured on Node 24.21
 * (2026-11-29): importing it costs +34 MiB RSS (60 -> 94 MiB) in an empty process, and the agent's
 * RSS after start was 126 MiB with it and 116 MiB with this client; the shipper benchmark's peak
 * budget is 150 MiB. Throughput and CPU were compared in bench/logs (docs/benchmarks.md).
 */
export class ElasticsearchHttp {
  private readonly base: URL;
  private readonly basePath: string;
  private readonly authorization: string | undefined;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  private readonly timeoutMs: number;

  constructor(options: ElasticsearchHttpOptions) {
    const url = new URL(options.url);
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    this.base = url;
    this.basePath = url.pathname.replace(/\/+$/, '');
    if (options.apiKey) this.authorization = `ApiKey ${options.apiKey}`;
    else if (options.username)
      this.authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
    else if (user) this.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const https = url.protocol === 'https:';
    this.agent = https
      ? new HttpsAgent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) })
      : new HttpAgent({ keepAlive: true });
    this.send = https ? httpsRequest : httpRequest;
    this.timeoutMs = options.timeoutMs;
  }

  /**
   * One request; resolves with any HTTP status and rejects only when there is no answer (connection
   * refused or lost, timeout, abort).
   */
  request(
    method: string,
    path: string,
    body: Buffer | string | undefined,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<ElasticsearchAnswer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (this.authorization) headers.authorization = this.authorization;
      if (body !== undefined) {
        headers['content-type'] = contentType;
        headers['content-length'] = Buffer.byteLength(body);
      }
      const fail = (error: Error): void => {
        clearTimeout(timer);
        req.destroy(error);
        reject(error);
      };
      const timer = setTimeout(() => fail(new ElasticsearchTimeoutError(this.timeoutMs)), this.timeoutMs);
      const req: ClientRequest = this.send(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port,
          method,
          path: this.basePath + path,
          headers,
          agent: this.agent,
          ...(signal ? { signal } : {}),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            clearTimeout(timer);
            const retryAfter = res.headers['retry-after'];
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks),
              ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
            });
          });
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  }

  /** A JSON request whose answer must be a success (2xx); otherwise it throws with status and reason. */
  async json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const answer = await this.request(
      method,
      path,
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      typeof body === 'string' ? 'application/x-ndjson' : 'application/json',
      signal,
    );
    if (answer.status === 401 || answer.status === 403)
      throw new ElasticsearchAuthError(answer.status, `${method} ${path}`, answer.body);
    if (answer.status < 200 || answer.status >= 300)
      throw new Error(
        `Elasticsearch answered ${answer.status} to ${method} ${path}: ${answer.body.toString('utf8', 0, 500)}`,
      );
    return JSON.parse(answer.body.toString('utf8')) as T;
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
