import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.ts';
import { acceptsOpenMetrics, expositionContentTypes, writeExposition } from './exposition.ts';

/** A named readiness condition; /readyz answers 200 only when every check returns true. */
export interface ReadinessCheck {
  /** Shown in the /readyz body. */
  name: string;
  /** True when ready; a thrown error counts as not ready and its message is shown. */
  check(): boolean | Promise<boolean>;
}

/** Options of the self-monitoring server. */
export interface StatusServerOptions {
  /** Address to listen on, e.g. '0.0.0.0'. */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
  registry: Registry;
  logger: Logger;
  readiness?: ReadinessCheck[];
}

/** A running self-monitoring server. */
export interface StatusServer {
  /** Base URL, e.g. http://127.0.0.1:9464. */
  url: string;
  /** Adds a readiness check after start (components register as they come up). */
  addReadiness(check: ReadinessCheck): void;
  close(): Promise<void>;
}

/**
 * Writes text to a response in chunks of about 64 KiB, waiting when the client reads slowly; fails when
 * the client went away, so that a large /metrics body is neither held whole nor written to nobody.
 */
class ChunkedWriter {
  private pending: string[] = [];
  private size = 0;
  private readonly res: ServerResponse;

  constructor(res: ServerResponse) {
    this.res = res;
  }

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= 64 * 1024) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
    this.res.end();
  }

  private async flush(): Promise<void> {
    const text = this.pending.join('');
    this.pending = [];
    this.size = 0;
    if (this.res.destroyed) throw new Error('the client closed the connection');
    if (this.res.write(text)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.res.off('close', closed);
        resolve();
      };
      const closed = (): void => {
        this.res.off('drain', done);
        reject(new Error('the client closed the connection'));
      };
      this.res.once('drain', done);
      this.res.once('close', closed);
    });
  }
}

/**
 * Serves /metrics (Prometheus text format, or OpenMetrics when the Accept header asks for it),
 * /healthz (process alive) and /readyz (components ready).
 */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const readiness = [...(options.readiness ?? [])];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const respond = async (): Promise<void> => {
      if (path === '/metrics') {
        const openMetrics = acceptsOpenMetrics(req.headers.accept);
        const contentType = openMetrics ? expositionContentTypes.openMetrics : expositionContentTypes.text;
        res.writeHead(200, { 'content-type': contentType });
        const out = new ChunkedWriter(res);
        await writeExposition(options.registry, openMetrics, (text) => out.write(text));
        await out.end();
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        const results = await Promise.all(
          readiness.map(async (r) => {
            try {
              return { name: r.name, ok: await r.check(), detail: '' };
            } catch (error) {
              return { name: r.name, ok: false, detail: error instanceof Error ? error.message : String(error) };
            }
          }),
        );
        const ok = results.every((r) => r.ok);
        const body = results.map((r) => `[${r.ok ? '+' : '-'}]${r.name}${r.detail ? `: ${r.detail}` : ''}`).join('\n');
        res
          .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
          .end(`${body}${body ? '\n' : ''}${ok ? 'ok' : 'not ready'}\n`);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
      }
    };
    respond().catch((error: unknown) => {
      options.logger.warn({ err: error, path }, 'Status request failed.');
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  options.logger.info({ url }, 'Status server listening.');
  return {
    url,
    addReadiness: (check) => {
      readiness.push(check);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
