import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WatchkeeperError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/log.ts';
import type { LogsConfig } from '../config.ts';
import type { LogsMetrics } from '../metrics.ts';
import { auditDocument, type AuditOptions } from '../parsers/audit.ts';
import type { IndexNames } from '../pipeline/index-names.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import { EventListError, EventListParser } from './audit-event-list.ts';
import { DiskQueue } from './disk-queue.ts';

/** Options of {@link startAuditWebhook}. */
export interface AuditWebhookOptions {
  config: LogsConfig['auditWebhook'];
  /** Directory of the on-disk queue. */
  dir: string;
  audit: AuditOptions;
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
  /** Why the receiver cannot queue or ship events (the queue reader stopped), or undefined. */
  problem(): string | undefined;
}

/** Compares a secret in constant time without revealing its length: both sides are MACed with a random key first. */
export function secretMatcher(expected: string): (given: string) => boolean {
  const key = randomBytes(32);
  const want = createHmac('sha256', key).update(expected).digest();
  return (given) => timingSafeEqual(createHmac('sha256', key).update(given).digest(), want);
}

/** The names a client certificate carries: CN and DNS/IP subject alternative names. */
export function certificateNames(
  cert: { subject?: { CN?: string | string[] }; subjectaltname?: string } | undefined,
): string[] {
  if (!cert) return [];
  const cn = cert.subject?.CN;
  const names = Array.isArray(cn) ? [...cn] : cn ? [cn] : [];
  for (const entry of (cert.subjectaltname ?? '').split(', ')) {
    const match = /^(?:DNS|IP Address):(.+)$/.exec(entry);
    if (match) names.push(match[1]!);
  }
  return names;
}

/**
 * HTTPS receiver of the API server's audit webhook backend. A POSTed audit.k8s.io/v1 EventList is
 * authenticated (bearer token or verified client certificate), parsed as it streams in (each event
 * turned into its document at once; a torn or malformed body is answered 400 and queues nothing) and appended
 * to a bounded on-disk queue with fsync; only then is it answered 200. A full queue answers 503, so
 * the API server retries. A reader feeds the queue into the pipeline as it has room, and the
 * queue's position moves as the sink acknowledges.
 */
export async function startAuditWebhook(options: AuditWebhookOptions): Promise<AuditWebhook> {
  const { config, logger, metrics } = options;
  if (!config.certFile || !config.keyFile) {
    throw new WatchkeeperError(
      'config_invalid',
      'logs.auditWebhook: certFile and keyFile are required (the receiver only speaks TLS)',
    );
  }
  if (!config.token && !config.clientCaFile) {
    throw new WatchkeeperError(
      'config_invalid',
      'logs.auditWebhook: set token or clientCaFile, so that requests are authenticated',
    );
  }
  if (config.clientCaFile && config.clientNames.length === 0) {
    throw new WatchkeeperError(
      'config_invalid',
      "logs.auditWebhook.clientNames: expected the CN or SAN of the API server's client certificate (the CA signs other clients too), found none",
    );
  }
  const queue = new DiskQueue(options.dir, config.maxQueueBytes);
  const opened = await queue.open();
  if (opened.movedStateTo) {
    metrics.stateFilesCorrupt.inc({ file: 'audit-queue' });
    logger.error(
      { movedTo: opened.movedStateTo },
      'The audit queue state file is unusable; moved aside, the queue is read from its oldest segment.',
    );
  }
  if (opened.tornBytes > 0) {
    metrics.stateFilesCorrupt.inc({ file: 'audit-queue-segment' });
    logger.warn(
      { bytes: opened.tornBytes },
      'A torn last line in the audit queue was cut off (written but never answered 200).',
    );
  }
  const abort = new AbortController();
  const tokenMatches = config.token ? secretMatcher(config.token) : undefined;
  let readerProblem: string | undefined;
  let active = 0;

  const answer = (res: ServerResponse, code: number, message: string): void => {
    metrics.webhookRequests.inc({ code: String(code) });
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: code === 200 ? 'Success' : 'Failure', message, code }),
    );
  };

  const authenticated = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    if (tokenMatches && header.startsWith('Bearer ') && tokenMatches(header.slice(7))) return true;
    const socket = req.socket as TLSSocket;
    if (config.clientCaFile === undefined || !socket.authorized) return false;
    return certificateNames(socket.getPeerCertificate()).some((name) => config.clientNames.includes(name));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      answer(res, 405, 'only POST');
      return;
    }
    if (!authenticated(req)) {
      answer(res, 401, 'unauthorized');
      return;
    }
    if (readerProblem) {
      answer(res, 503, readerProblem);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > config.maxBodyBytes) {
      answer(res, 413, `body larger than ${config.maxBodyBytes} bytes`);
      req.resume();
      return;
    }
    // Events become document lines as they are parsed; the lines are queued only once the whole
    // body parsed, so a torn or malformed body queues nothing.
    const lines: string[] = [];
    const parser = new EventListParser((event) => {
      const doc = auditDocument(event, options.audit);
      lines.push(`${doc.id}\t${doc.timestamp}\t${doc.text}`);
    });
    let size = 0;
    let bad: EventListError | undefined;
    // Read to the end either way (a reset connection is an error to the API server, a 413 or 400 is an answer).
    const refused = (error: unknown): EventListError => {
      if (error instanceof EventListError) return error;
      throw error;
    };
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > config.maxBodyBytes) lines.length = 0;
      if (size > config.maxBodyBytes || bad) continue;
      try {
        parser.write(chunk);
      } catch (error) {
        bad = refused(error);
      }
    }
    if (size > config.maxBodyBytes) {
      answer(res, 413, `body larger than ${config.maxBodyBytes} bytes`);
      return;
    }
    try {
      if (!bad) parser.finish();
    } catch (error) {
      bad = refused(error);
    }
    if (bad) {
      // Counted by watchkeeper_logs_audit_webhook_requests_total{code="400"}; the API server
      // retries or drops the batch.
      logger.warn({ problem: bad.message, bytes: size }, 'Audit webhook body refused; nothing of it was queued.');
      answer(res, 400, bad.message);
      return;
    }
    if (!(await queue.append(lines))) {
      answer(res, 503, 'queue full');
      return;
    }
    metrics.auditQueueBytes.set(queue.pendingBytes);
    answer(res, 200, 'queued');
  };

  const server: Server = createServer(
    {
      cert: readFileSync(config.certFile),
      key: readFileSync(config.keyFile),
      ...(config.clientCaFile
        ? { ca: readFileSync(config.clientCaFile), requestCert: true, rejectUnauthorized: false }
        : {}),
    },
    (req, res) => {
      if (active >= config.maxConcurrentRequests) {
        res.setHeader('Retry-After', '1');
        answer(res, 429, 'too many requests at once');
        return;
      }
      active++;
      handle(req, res)
        .catch((error: unknown) => {
          logger.error({ err: error }, 'Audit webhook request failed.');
          if (!res.headersSent) answer(res, 500, 'internal error');
        })
        .finally(() => {
          active--;
        });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
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
  })().catch((error: unknown) => {
    // Nothing more would be shipped: the receiver refuses (503, the API server keeps the events) and /readyz says why.
    readerProblem = `audit queue reader stopped: ${error instanceof Error ? error.message : String(error)}`;
    logger.error({ err: error }, 'Audit queue reader stopped; the webhook answers 503.');
  });

  logger.info({ port }, 'Audit webhook receiver listening.');
  return {
    url: `https://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}/`,
    port,
    problem: () => readerProblem,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    async flush() {
      abort.abort();
      await reader;
      await queue.close();
    },
  };
}
