import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createGunzip } from 'node:zlib';
import { buildInfo } from '../../../core/version.ts';
import type { ScrapeTlsConfig } from '../config.ts';
import { FileSecret } from './file-secret.ts';
import { scrapeAcceptHeader } from './parse/index.ts';
import { ScrapeError } from './scrape-error.ts';

/** User-Agent of every scrape. */
export const scrapeUserAgent = `watchkeeper/${buildInfo.version}`;

/** How to reach and authenticate to the targets of one job. */
export interface ScrapeClientOptions {
  tls?: ScrapeTlsConfig;
  bearerTokenFile?: string;
  basicAuth?: { username: string; passwordFile: string };
  /** A body larger than this after gunzip fails the scrape (body_too_large). */
  bodySizeLimitBytes: number;
  /** Overrides the Accept header (the CLI's --format). */
  accept?: string;
}

/** An answered scrape whose body is being streamed. */
export interface ScrapeResponse {
  /** Content-Type of the answer ('' when absent). */
  contentType: string;
  /** The body, gunzipped, failing with body_too_large past the limit. Must be consumed or the signal aborted. */
  body: AsyncIterable<Buffer>;
}

const tlsErrorCodes = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL_)/;

/** Sorts a request error into a {@link ScrapeError} reason. */
function classify(error: unknown, url: URL, signal: AbortSignal): ScrapeError {
  if (error instanceof ScrapeError) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
    return timedOut
      ? new ScrapeError('timeout', `${url.host}: no complete answer within the timeout`)
      : new ScrapeError('other', `${url.host}: scrape cancelled`);
  }
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (tlsErrorCodes.test(code) || /SSL|TLS|certificate/i.test(message)) {
    return new ScrapeError('tls', `${url.host}: TLS: ${message}`, { cause: error });
  }
  return new ScrapeError('connection', `${url.host}: ${code || message}`, { cause: error });
}

/** Output chunk size of the gunzip stream (see limitedBody). */
const gunzipChunkBytes = 64 * 1024;

/**
 * HTTP(S) GET of exposition bodies for one job: Accept negotiation, gzip, a body limit enforced while
 * streaming, TLS (CA, client certificate, insecure), a bearer token or basic-auth password read from
 * files and re-read when they change, keep-alive connections. The timeout is the caller's signal.
 */
export class ScrapeClient {
  private readonly token?: FileSecret;
  private readonly password?: FileSecret;
  private readonly tlsFiles: { ca?: FileSecret; cert?: FileSecret; key?: FileSecret };
  private httpsAgent?: { agent: HttpsAgent; files: (Buffer | undefined)[] };
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  private readonly options: ScrapeClientOptions;

  constructor(options: ScrapeClientOptions) {
    this.options = options;
    if (options.bearerTokenFile) this.token = new FileSecret(options.bearerTokenFile);
    if (options.basicAuth) this.password = new FileSecret(options.basicAuth.passwordFile);
    const tls = options.tls;
    this.tlsFiles = {
      ...(tls?.caFile ? { ca: new FileSecret(tls.caFile) } : {}),
      ...(tls?.certFile ? { cert: new FileSecret(tls.certFile) } : {}),
      ...(tls?.keyFile ? { key: new FileSecret(tls.keyFile) } : {}),
    };
  }

  /** Sends the GET and resolves once the status line and headers arrived (2xx only). */
  async get(url: URL, signal: AbortSignal): Promise<ScrapeResponse> {
    const headers: Record<string, string> = {
      accept: this.options.accept ?? scrapeAcceptHeader,
      'accept-encoding': 'gzip',
      'user-agent': scrapeUserAgent,
    };
    if (this.token) headers.authorization = `Bearer ${await this.token.text()}`;
    if (this.password && this.options.basicAuth) {
      const credentials = `${this.options.basicAuth.username}:${await this.password.text()}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    const https = url.protocol === 'https:';
    const agent = https ? await this.currentHttpsAgent() : this.httpAgent;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const send = https ? httpsRequest : httpRequest;
      const req = send(url, { method: 'GET', headers, agent, signal }, resolve);
      req.once('error', (error) => reject(classify(error, url, signal)));
      req.end();
    });
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) {
      response.resume();
      throw new ScrapeError('http_status', `${url.host}: HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd());
    }
    const encoding = (response.headers['content-encoding'] ?? '').toLowerCase();
    if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip') {
      response.resume();
      throw new ScrapeError('other', `${url.host}: unsupported Content-Encoding "${encoding}"`);
    }
    return {
      contentType: response.headers['content-type'] ?? '',
      body: this.limitedBody(response, encoding === 'gzip', url, signal),
    };
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent?.agent.destroy();
  }

  private async *limitedBody(
    response: IncomingMessage,
    gzip: boolean,
    url: URL,
    signal: AbortSignal,
  ): AsyncGenerator<Buffer> {
    const limit = this.options.bodySizeLimitBytes;
    // 64 KiB output chunks instead of zlib's 16 KiB: `node bench/metrics/gunzip.ts` (2026-11-29, loaded 2-core
    // machine) gunzipped the bench target's 100,000-series body in 20 ms of CPU instead of 43 ms (256 KiB: 17 ms);
    // the parser holds one chunk at a time, so memory per scrape stays small.
    const stream = gzip ? response.pipe(createGunzip({ chunkSize: gunzipChunkBytes })) : response;
    if (gzip) response.once('error', (error) => stream.destroy(error));
    let total = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > limit) {
          throw new ScrapeError('body_too_large', `${url.host}: body larger than bodySizeLimitBytes (${limit} bytes)`);
        }
        yield chunk;
      }
    } catch (error) {
      if (error instanceof ScrapeError) throw error;
      if (!signal.aborted && (error as NodeJS.ErrnoException).code?.startsWith('Z_')) {
        const message = `${url.host}: gzip body is corrupt: ${(error as Error).message}`;
        throw new ScrapeError('other', message, { cause: error });
      }
      throw classify(error, url, signal);
    } finally {
      if (!response.complete) response.destroy();
      if (gzip) stream.destroy();
    }
  }

  private async currentHttpsAgent(): Promise<HttpsAgent> {
    const { ca: caFile, cert: certFile, key: keyFile } = this.tlsFiles;
    const [ca, cert, key] = await Promise.all([caFile?.read(), certFile?.read(), keyFile?.read()]);
    const files = [ca, cert, key];
    // A new agent only when a file changed (FileSecret returns the same Buffer otherwise): rotated
    // client certificates are picked up without dropping keep-alive connections on every scrape.
    if (this.httpsAgent && this.httpsAgent.files.every((f, i) => f === files[i])) return this.httpsAgent.agent;
    this.httpsAgent?.agent.destroy();
    const tls = this.options.tls;
    const agent = new HttpsAgent({
      keepAlive: true,
      maxSockets: 4,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(tls?.serverName ? { servername: tls.serverName } : {}),
      rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
    });
    this.httpsAgent = { agent, files };
    return agent;
  }
}
