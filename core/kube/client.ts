import { Agent, request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from 'node:http';
import type { KubeAccess } from './access.ts';
import { KubeApiError, KubeUnreachableError } from './errors.ts';
import { WatchkeeperError } from '../errors.ts';
import { buildInfo } from '../version.ts';

/** Query parameters; undefined values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** Options of one request. */
export interface RequestOptions {
  query?: Query;
  /** Buffer or string bodies are sent as they are; anything else is JSON-encoded. */
  body?: unknown;
  /** Content type of the body; default application/json. */
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Bound of the whole request; default the client's timeoutMs. For streams: until the headers arrive. */
  timeoutMs?: number;
  /** Return 4xx/5xx responses instead of throwing {@link KubeApiError}. */
  acceptErrorStatus?: boolean;
}

/** A complete response, body as the server's bytes. */
export interface KubeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Options of {@link KubeClient}. */
export interface KubeClientOptions {
  /** Default bound of one request; default 30 s. */
  timeoutMs?: number;
  /** User-Agent header; default watchkeeper/<version>. */
  userAgent?: string;
}

/** Content type of a JSON merge patch. */
export const mergePatch = 'application/merge-patch+json';

/**
 * Raw HTTPS client of one API server over keep-alive connections. Bodies come back as the server's
 * bytes; the JSON helpers decode them. Error statuses become {@link KubeApiError}, network failures
 * and timeouts {@link KubeUnreachableError}; an abort by the caller's signal rejects with its reason.
 */
export class KubeClient {
  /** Credentials and server this client uses. */
  readonly access: KubeAccess;
  private agent: Agent;
  private tlsInUse: KubeAccess['tls'];
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly base: URL;

  constructor(access: KubeAccess, options: KubeClientOptions = {}) {
    this.access = access;
    this.base = new URL(access.server);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? `watchkeeper/${buildInfo.version}`;
    this.tlsInUse = access.currentTls?.() ?? access.tls;
    this.agent = newAgent(this.tlsInUse);
  }

  /** Sends a request and reads the whole response. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<KubeResponse> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const attempt = async (): Promise<KubeResponse> => {
      const res = await this.send(method, path, options, signal, timeout, timeoutMs);
      const body = await readBody(res, signal).catch((error: unknown) => {
        throw this.failure(error, method, path, options.signal, timeout, timeoutMs);
      });
      return { status: res.statusCode ?? 0, headers: res.headers, body };
    };
    let response = await attempt();
    if (response.status === 401) {
      // Tokens rotate (projected service account tokens, exec plugins): read them again once.
      this.access.invalidate();
      response = await attempt();
    }
    if (response.status >= 400 && options.acceptErrorStatus !== true) {
      throw new KubeApiError({
        status: response.status,
        verb: method,
        path,
        body: response.body,
        retryAfter: header(response.headers, 'retry-after'),
      });
    }
    return response;
  }

  /**
   * Opens a streaming response (watch, log follow). Resolves once a 2xx status arrived; the caller
   * reads and destroys the stream. Error statuses are read fully and thrown as {@link KubeApiError}.
   */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const headerSignal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const res = await this.send(method, path, options, headerSignal, timeout, timeoutMs, options.signal);
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      const body = await readBody(res, headerSignal).catch(() => Buffer.alloc(0));
      throw new KubeApiError({ status, verb: method, path, body, retryAfter: header(res.headers, 'retry-after') });
    }
    return res;
  }

  /** GET and decode JSON. */
  async getJson<T = unknown>(path: string, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return decode<T>((await this.request('GET', path, options)).body);
  }

  /** POST a JSON body (create) and decode the answer. */
  async postJson<T = unknown>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return decode<T>((await this.request('POST', path, { ...options, body })).body);
  }

  /** PUT a JSON body (replace; include metadata.resourceVersion for optimistic concurrency). */
  async putJson<T = unknown>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return decode<T>((await this.request('PUT', path, { ...options, body })).body);
  }

  /** PATCH, by default as a JSON merge patch. */
  async patchJson<T = unknown>(path: string, patch: unknown, options: RequestOptions = {}): Promise<T> {
    return decode<T>((await this.request('PATCH', path, { contentType: mergePatch, ...options, body: patch })).body);
  }

  /** DELETE and decode the answer (the object or a Status). */
  async deleteJson<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    return decode<T>((await this.request('DELETE', path, options)).body);
  }

  /** Closes idle keep-alive connections; open streams are left to their owners. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Switches to a new connection pool when the client certificate rotated. As client-go does on
   * rotation, the old connections are closed: open watches end and their owners reconnect.
   */
  private followTlsRotation(): void {
    const tls = this.access.currentTls?.();
    if (!tls || tls === this.tlsInUse) return;
    const old = this.agent;
    this.tlsInUse = tls;
    this.agent = newAgent(tls);
    old.destroy();
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    signal: AbortSignal,
    timeout: AbortSignal,
    timeoutMs: number,
    streamSignal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const auth = await this.access.authHeaders();
    this.followTlsRotation();
    try {
      return await this.sendOnce(method, path, options, signal, auth, streamSignal);
    } catch (error) {
      // A kept-alive connection the server had already closed (e.g. it restarted): the request
      // never reached it, so sending it once more on a fresh connection is safe.
      if (
        (error as { reusedSocket?: boolean }).reusedSocket === true &&
        (error as NodeJS.ErrnoException).code === 'ECONNRESET' &&
        !signal.aborted
      ) {
        try {
          return await this.sendOnce(method, path, options, signal, auth, streamSignal);
        } catch (retryError) {
          throw this.failure(retryError, method, path, options.signal, timeout, timeoutMs);
        }
      }
      throw this.failure(error, method, path, options.signal, timeout, timeoutMs);
    }
  }

  private sendOnce(
    method: string,
    path: string,
    options: RequestOptions,
    signal: AbortSignal,
    auth: Record<string, string>,
    streamSignal?: AbortSignal,
  ): Promise<IncomingMessage> {
    return new Promise<IncomingMessage>((resolve, reject) => {
      const url = this.url(path, options.query);
      let body: Buffer | undefined;
      if (options.body !== undefined) {
        body = Buffer.isBuffer(options.body)
          ? options.body
          : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
      }
      const headers: Record<string, string | number> = {
        accept: 'application/json',
        'user-agent': this.userAgent,
        ...auth,
        ...options.headers,
      };
      if (body) {
        headers['content-type'] = options.contentType ?? 'application/json';
        headers['content-length'] = body.length;
      }
      const requestFn = url.protocol === 'http:' ? httpRequest : httpsRequest;
      let req: ClientRequest;
      const onAbort = (): void => {
        req.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      try {
        req = requestFn(url, { method, headers, agent: url.protocol === 'http:' ? undefined : this.agent });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (signal.aborted) {
        onAbort();
      }
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('response', (res) => {
        signal.removeEventListener('abort', onAbort);
        if (streamSignal) {
          // From here on only the caller's signal ends the stream; the header timeout is over.
          const onStreamAbort = (): void => {
            res.destroy();
            req.destroy();
          };
          if (streamSignal.aborted) onStreamAbort();
          else streamSignal.addEventListener('abort', onStreamAbort, { once: true });
          res.once('close', () => streamSignal.removeEventListener('abort', onStreamAbort));
        }
        resolve(res);
      });
      req.once('error', (error) => {
        signal.removeEventListener('abort', onAbort);
        Object.assign(error, { reusedSocket: req.reusedSocket });
        reject(error);
      });
      req.end(body);
    });
  }

  private failure(
    error: unknown,
    method: string,
    path: string,
    callerSignal: AbortSignal | undefined,
    timeout: AbortSignal,
    timeoutMs: number,
  ): Error {
    if (error instanceof WatchkeeperError) return error;
    if (callerSignal?.aborted)
      return callerSignal.reason instanceof Error ? callerSignal.reason : new Error(String(callerSignal.reason));
    if (timeout.aborted) {
      return new KubeUnreachableError({
        verb: method,
        path,
        server: this.access.server,
        errno: 'TIMEOUT',
        detail: `no complete answer within ${timeoutMs} ms`,
        cause: error,
      });
    }
    const errno = (error as NodeJS.ErrnoException).code ?? 'ERROR';
    const detail = error instanceof Error ? error.message : String(error);
    return new KubeUnreachableError({ verb: method, path, server: this.access.server, errno, detail, cause: error });
  }

  private url(path: string, query: Query | undefined): URL {
    const url = new URL(this.base.toString());
    url.pathname = `${this.base.pathname.replace(/\/$/, '')}${path}`;
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }
}

function newAgent(tls: KubeAccess['tls']): Agent {
  return new Agent({ keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 8, ...tls });
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(res: IncomingMessage, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onAbort = (): void => {
      res.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('end', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(chunks));
    });
    res.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
    res.once('close', () => {
      if (!res.complete) {
        signal.removeEventListener('abort', onAbort);
        reject(new Error('connection closed before the response ended'));
      }
    });
  });
}

function decode<T>(body: Buffer): T {
  if (body.length === 0) return undefined as T;
  return JSON.parse(body.toString('utf8')) as T;
}
