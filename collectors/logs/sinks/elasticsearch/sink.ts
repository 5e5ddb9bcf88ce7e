import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Client, errors } from '@elastic/elasticsearch';
import { describeError } from '../../../../core/errors.ts';
import type { Logger } from '../../../../core/log.ts';
import { backoffDelay, parseRetryAfter, sleep } from '../../../../core/retry.ts';
import type { LogsConfig } from '../../config.ts';
import type { LogsMetrics } from '../../metrics.ts';
import type { Batch } from '../../pipeline/batch.ts';
import type { DeadLetter, DeadLetterFile } from '../dead-letter.ts';
import type { LogSink } from '../types.ts';
import { indexTemplates } from './templates.ts';

/** Options of {@link ElasticsearchSink}. */
export interface ElasticsearchSinkOptions {
  config: LogsConfig['elasticsearch'];
  deadLetters: DeadLetterFile;
  metrics: LogsMetrics;
  logger: Logger;
}

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string };
}

/** An answer that says every item was stored ("errors" comes first in Elasticsearch's answer). */
const noErrors = /^\s*\{\s*(?:"took"\s*:\s*\d+\s*,\s*)?"errors"\s*:\s*false/;

/** Statuses worth sending again: throttling and server-side trouble. */
function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Ships batches with _bulk through @elastic/elasticsearch. Documents carry deterministic ids and
 * go in with `create`, so a re-sent item that was stored before answers 409 and counts as stored.
 * Failed items alone are sent again (429/5xx, whole-request failures, lost connections) with
 * exponential backoff and jitter, honouring Retry-After; items that can never succeed go to the
 * dead-letter file with their reason.
 */
export class ElasticsearchSink implements LogSink {
  readonly name = 'elasticsearch';
  private readonly client: Client;
  private readonly options: ElasticsearchSinkOptions;
  private ready: Promise<void> = Promise.resolve();

  constructor(options: ElasticsearchSinkOptions) {
    this.options = options;
    const { config } = options;
    this.client = new Client({
      node: config.url,
      maxRetries: 0,
      requestTimeout: config.requestTimeoutSeconds * 1000,
      compression: false,
      ...(config.apiKey ? { auth: { apiKey: config.apiKey } } : config.username ? { auth: { username: config.username, password: config.password ?? '' } } : {}),
      ...(config.caFile ? { tls: { ca: readFileSync(config.caFile) } } : {}),
    });
  }

  /** Installs the index templates, retrying in the background; writes wait for it. */
  start(signal: AbortSignal): Promise<void> {
    const { config, logger } = this.options;
    if (!config.installTemplate) return Promise.resolve();
    this.ready = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          for (const [name, body] of Object.entries(indexTemplates(config.indexPrefix, config.mode === 'datastream'))) {
            await this.client.transport.request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(name)}`, body }, { signal });
          }
          logger.info({ url: config.url }, 'Index templates installed.');
          return;
        } catch (error) {
          if (signal.aborted) throw error;
          const delay = backoffDelay(attempt, config.initialBackoffMs, config.maxBackoffMs);
          logger.warn({ error: describeError(error), retryInMs: delay }, 'Cannot install index templates yet; retrying.');
          await sleep(delay, signal);
        }
      }
    })();
    this.ready.catch(() => undefined);
    return Promise.resolve();
  }

  async write(batch: Batch, signal: AbortSignal): Promise<void> {
    const { config, metrics } = this.options;
    await this.ready;
    let pending: number[] | undefined;
    for (let attempt = 1; ; attempt++) {
      const body = pending === undefined ? batch.buf.subarray(0, batch.length) : Buffer.concat(pending.map((i) => batch.item(i)));
      const count = pending?.length ?? batch.count;
      const end = metrics.bulkDuration.startTimer({ sink: this.name });
      let retryAfterMs: number | undefined;
      let next: number[] = [];
      const letters: DeadLetter[] = [];
      try {
        const answer = await this.bulk(body, signal);
        end();
        if (answer.status >= 300) {
          if (retryableStatus(answer.status) || answer.status === 413) {
            next = pending ?? Array.from({ length: batch.count }, (_, k) => k);
            retryAfterMs = parseRetryAfter(answer.retryAfter);
            metrics.retries.inc({ sink: this.name, reason: `status_${answer.status}` });
            if (attempt === 1 || attempt % 10 === 0) this.options.logger.warn({ status: answer.status, attempt, items: next.length }, 'Bulk request refused; retrying.');
          } else {
            // The whole request is refused and will be refused again: every item is a dead letter.
            let reason = `status_${answer.status}`;
            try { reason = (JSON.parse(answer.text) as { error?: { type?: string } }).error?.type ?? reason; } catch { /* not JSON */ }
            for (let k = 0; k < count; k++) {
              const i = pending === undefined ? k : pending[k]!;
              letters.push({ index: batch.index(i), id: batch.id(i), reason, detail: answer.text.slice(0, 1000), document: batch.doc(i).toString('utf8') });
            }
          }
        } else if (noErrors.test(answer.text.slice(0, 200))) {
          // Everything stored: the per-item answers need not be parsed.
          metrics.eventsShipped.inc({ sink: this.name }, count);
          return;
        } else {
          const response = JSON.parse(answer.text) as { items?: Record<string, BulkItemResult>[] };
          const items = response.items ?? [];
          let stored = 0;
          items.forEach((entry, k) => {
            const result = Object.values(entry)[0] ?? { status: 500 };
            const i = pending === undefined ? k : pending[k]!;
            if (result.status < 300 || result.status === 409) { stored++; return; }
            if (retryableStatus(result.status)) { next.push(i); return; }
            letters.push({
              index: batch.index(i), id: batch.id(i), reason: result.error?.type ?? `status_${result.status}`,
              detail: result.error?.reason ?? '', document: batch.doc(i).toString('utf8'),
            });
          });
          // Items the answer does not mention were not processed.
          for (let k = items.length; k < count; k++) next.push(pending === undefined ? k : pending[k]!);
          metrics.eventsShipped.inc({ sink: this.name }, stored);
          if (next.length > 0) metrics.retries.inc({ sink: this.name, reason: 'item' }, next.length);
        }
      } catch (error) {
        end();
        if (signal.aborted) throw error;
        next = pending ?? Array.from({ length: batch.count }, (_, k) => k);
        const reason = error instanceof errors.TimeoutError ? 'timeout' : 'connection';
        metrics.retries.inc({ sink: this.name, reason });
        if (attempt === 1 || attempt % 10 === 0) this.options.logger.warn({ error: describeError(error), attempt, items: next.length }, 'Bulk request failed; retrying.');
      }
      if (letters.length > 0) {
        await this.options.deadLetters.write(letters);
        for (const letter of letters) metrics.deadLettered.inc({ sink: this.name, reason: letter.reason });
      }
      if (next.length === 0) return;
      pending = next;
      const delay = Math.min(config.maxBackoffMs, retryAfterMs ?? backoffDelay(attempt, config.initialBackoffMs, config.maxBackoffMs));
      await sleep(delay, signal);
    }
  }

  /** One _bulk request; the answer comes back as text, parsed only when it reports errors. */
  private async bulk(body: Buffer, signal: AbortSignal): Promise<{ status: number; text: string; retryAfter?: string }> {
    const result = await this.client.transport.request<Readable>(
      { method: 'POST', path: '/_bulk', bulkBody: body },
      { signal, maxRetries: 0, asStream: true, meta: true },
    );
    const chunks: Buffer[] = [];
    for await (const chunk of result.body as AsyncIterable<Buffer>) chunks.push(chunk);
    const header: unknown = result.headers?.['retry-after'];
    return {
      status: result.statusCode ?? 0,
      text: Buffer.concat(chunks).toString('utf8'),
      ...(typeof header === 'string' ? { retryAfter: header } : {}),
    };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
