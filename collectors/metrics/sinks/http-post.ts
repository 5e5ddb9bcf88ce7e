import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { OutputTlsConfig } from './config.ts';
import { statusError, transportError } from './output-error.ts';

/** Longest part of an error answer kept for the error message. */
const maxDetailBytes = 1024;

/**
 * POSTs request bodies to one URL over keep-alive connections, with TLS settings read once at start
 * (a missing file fails start-up naming it). Answers other than 2xx and transport failures become
 * {@link OutputError}s; the body of a 2xx answer is discarded.
 */
export class HttpPoster {
  private readonly output: string;
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly agent: HttpAgent | HttpsAgent;

  constructor(output: string, url: string, tls: OutputTlsConfig, timeoutMs: number) {
    this.output = output;
    this.timeoutMs = timeoutMs;
    this.url = new URL(url);
    this.agent =
      this.url.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            maxSockets: 2,
            ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
            ...(tls.certFile ? { cert: readFileSync(tls.certFile) } : {}),
            ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
            rejectUnauthorized: !tls.insecureSkipVerify,
          })
        : new HttpAgent({ keepAlive: true, maxSockets: 2 });
  }

  /** Sends one body; resolves on 2xx, throws an OutputError otherwise. */
  post(body: Buffer, headers: OutgoingHttpHeaders, signal: AbortSignal): Promise<void> {
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<void>((resolve, reject) => {
      const fail = (error: unknown): void => reject(transportError(this.output, error));
      const req = send(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          signal,
          timeout: this.timeoutMs,
          headers: { ...headers, 'content-length': body.length },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            res.resume();
            res.once('end', () => resolve());
            res.once('error', fail);
            return;
          }
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            if (kept < maxDetailBytes) {
              chunks.push(chunk);
              kept += chunk.length;
            }
          });
          res.once('end', () => {
            const retryAfter = res.headers['retry-after'];
            reject(
              statusError(
                this.output,
                status,
                Buffer.concat(chunks).toString('utf8'),
                typeof retryAfter === 'string' ? retryAfter : undefined,
              ),
            );
          });
          res.once('error', fail);
        },
      );
      req.once('timeout', () => {
        const error = new Error(`no answer within ${this.timeoutMs} ms`);
        error.name = 'TimeoutError';
        req.destroy(error);
      });
      req.once('error', fail);
      req.end(body);
    });
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }
}
