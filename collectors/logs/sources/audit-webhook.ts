import { randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WatchkeeperError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/log.ts';
import type { LogsConfig } from '../config.ts';
import type { AuditEvent } from '../enrich/audit-event.ts';
import type { LogsMetrics } from '../metrics.ts';
import { auditDocument } from '../parsers/audit.ts';
import type { IndexNames } from '../pipeline/index-names.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import { DiskQueue } from './disk-queue.ts';

/** Options of {@link startAuditWebhook}. */
export interface AuditWebhookOptions {
  config: LogsConfig['auditWebhook'];
  /** Directory of the on-disk queue. */
  dir: string;
  maxObjectBytes: number;
  pipeline: Pipeline;
  names: IndexNames;
  metrics: LogsMetrics;
  logger: Logger;
}

/** A running audit webhook receiver. */
export interface AuditWebhook {
  /** https://host:port/ */
  url: string;
  port: number;
  /** Stops accepting requests. */
  close(): Promise<void>;
  /** Stops feeding the pipeline and persists the queue position (after the pipeline stopped). */
  flush(): Promise<void>;
}

const maxBodyBytes = 64 * 1024 * 1024;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * HTTPS receiver of the API server's audit webhook backend. A POSTed audit.k8s.io/v1 EventList is
 * authenticated (bearer token or verified client certificate), turned into documents and appended
 * to a bounded on-disk queue with fsync; only then is it answered 200. A full queue answers 503, so
 * the API server retries. A reader feeds the queue into the pipeline as it has room, and the
 * queue's position moves as the sink acknowledges.
 */
export async function startAuditWebhook(options: AuditWebhookOptions): Promise<AuditWebhook> {
  const { config, logger, metrics } = options;
  if (!config.certFile || !config.keyFile) {
    throw new WatchkeeperError('config_invalid', 'logs.auditWebhook: certFile and keyFile are required (the receiver only speaks TLS)');
  }
  if (!config.token && !config.clientCaFile) {
    throw new WatchkeeperError('config_invalid', 'logs.auditWebhook: set token or clientCaFile, so that requests are authenticated');
  }
  const queue = new DiskQueue(options.dir, config.maxQueueBytes);
  await queue.open();
  const abort = new AbortController();

  const answer = (res: ServerResponse, code: number, message: string): void => {
    metrics.webhookRequests.inc({ code: String(code) });
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: code === 200 ? 'Success' : 'Failure', message, code }));
  };

  const authenticated = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    if (config.token && header.startsWith('Bearer ') && sameSecret(header.slice(7), config.token)) return true;
    return config.clientCaFile !== undefined && (req.socket as TLSSocket).authorized;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') { answer(res, 405, 'only POST'); return; }
    if (!authenticated(req)) { answer(res, 401, 'unauthorized'); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBodyBytes) { answer(res, 413, 'body too large'); return; }
      chunks.push(chunk);
    }
    let list: { items?: unknown };
    try {
      list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items?: unknown };
    } catch {
      answer(res, 400, 'body is not JSON');
      return;
    }
    if (!Array.isArray(list.items)) { answer(res, 400, 'expected an audit.k8s.io/v1 EventList'); return; }
    const lines = (list.items as AuditEvent[]).map((event) => {
      const doc = auditDocument(event, options.maxObjectBytes, randomUUID());
      return `${doc.id}\t${doc.timestamp}\t${doc.text}`;
    });
    if (!(await queue.append(lines))) { answer(res, 503, 'queue full'); return; }
    metrics.auditQueueBytes.set(queue.pendingBytes);
    answer(res, 200, 'queued');
  };

  const server: Server = createServer({
    cert: readFileSync(config.certFile), key: readFileSync(config.keyFile),
    ...(config.clientCaFile ? { ca: readFileSync(config.clientCaFile), requestCert: true, rejectUnauthorized: false } : {}),
  }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'Audit webhook request failed.');
      if (!res.headersSent) answer(res, 500, 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(config.port, config.host, () => resolve()); });
  const port = (server.address() as AddressInfo).port;

  const reader = (async () => {
    while (!abort.signal.aborted) {
      await options.pipeline.capacity();
      const lines = await queue.take(1 << 20, abort.signal);
      for (const { line, target, end } of lines) {
        const tab1 = line.indexOf('\t');
        const tab2 = line.indexOf('\t', tab1 + 1);
        const b = options.pipeline.current;
        b.beginItem(options.names.forTimestamp('audit', line.slice(tab1 + 1, tab2)), line.slice(0, tab1));
        b.utf8(line.slice(tab2 + 1));
        b.endItem(target, end);
        options.pipeline.rotateIfFull();
      }
      metrics.auditQueueBytes.set(queue.pendingBytes);
    }
  })().catch((error: unknown) => logger.error({ err: error }, 'Audit queue reader stopped.'));

  logger.info({ port }, 'Audit webhook receiver listening.');
  return {
    url: `https://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
    async flush() {
      abort.abort();
      await reader;
      await queue.close();
    },
  };
}
