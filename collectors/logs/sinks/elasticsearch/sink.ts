import { readFileSync } from 'node:fs';
import { describeError } from '../../../../core/errors.ts';
import { hasUrlCredentials, maskUrlCredentials } from '../../../../core/url-credentials.ts';
import type { Logger } from '../../../../core/log.ts';
import { parseRetryAfter, withRetry } from '../../../../core/retry.ts';
import type { LogsConfig } from '../../config.ts';
import type { LogsMetrics } from '../../metrics.ts';
import type { Batch } from '../../pipeline/batch.ts';
import type { DeadLetter, DeadLetterStore } from '../dead-letter.ts';
import { DeadLetterIndex } from './dead-letter-index.ts';
import {
  ElasticsearchAuthError,
  ElasticsearchHttp,
  ElasticsearchTimeoutError,
  type ElasticsearchAnswer,
} from './http-client.ts';
import type { LogSink } from '../types.ts';
import { indexTemplates } from './templates.ts';

/** Options of {@link ElasticsearchSink}. */
export interface ElasticsearchSinkOptions {
  config: LogsConfig['elasticsearch'];
  /** Where dead letters go; without it, the index <indexPrefix>-dead-letters. */
  deadLetters?: DeadLetterStore;
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

/** Items of a batch that failed and are worth sending again after a wait (handled by withRetry). */
class ItemsToRetry extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(items: number, retryAfterMs: number | undefined) {
    super(`${items} items to send again`);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Where a batch's delivery stands between attempts. */
interface Delivery {
  /** Items still to send (undefined: all of them). */
  pending: number[] | undefined;
  /** How many items one request may carry (halved on 413). */
  limit: number;
  /** Requests made so far. */
  requests: number;
}

/**
 * Ships batches with _bulk (http-client.ts says why not through @elastic/elasticsearch). Documents
 * carry deterministic ids and go in with `create`, so a re-sent item that was stored before answers
 * 409 and counts as stored. Failed items alone are sent again (429/5xx, whole-request failures, lost
 * connections) with exponential backoff and jitter (core/retry.ts), honouring Retry-After; items
 * that can never succeed go to the dead-letter file with their reason.
 */
export class ElasticsearchSink implements LogSink {
  readonly name = 'elasticsearch';
  private readonly http: ElasticsearchHttp;
  private readonly options: ElasticsearchSinkOptions;
  private ready: Promise<void> = Promise.resolve();
  /** Writes waiting for the templates, told when an install attempt is refused for its credentials. */
  private readonly refusedWaiters = new Set<(error: ElasticsearchAuthError) => void>();
  /** Whether the last request was refused for its credentials (logged once per episode). */
  private refused = false;
  private readonly deadLetters: DeadLetterStore;

  constructor(options: ElasticsearchSinkOptions) {
    this.options = options;
    const { config } = options;
    this.http = new ElasticsearchHttp({
      url: config.url,
      timeoutMs: config.requestTimeoutSeconds * 1000,
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      ...(config.username ? { username: config.username, password: config.password ?? '' } : {}),
      ...(config.caFile ? { ca: readFileSync(config.caFile) } : {}),
    });
    this.deadLetters = options.deadLetters ?? new DeadLetterIndex(this.http, config.indexPrefix);
    const credentials = config.apiKey !== undefined || config.username !== undefined || hasUrlCredentials(config.url);
    if (credentials && config.url.toLowerCase().startsWith('http://')) {
      options.logger.warn(
        { url: maskUrlCredentials(config.url) },
        'Elasticsearch credentials are sent in clear text over http://; use https:// outside a trusted network.',
      );
    }
  }

  /** Installs the index templates, retrying in the background; writes wait for it. */
  start(signal: AbortSignal): Promise<void> {
    const { config, logger } = this.options;
    if (!config.installTemplate) return Promise.resolve();
    this.ready = withRetry(
      async () => {
        for (const [name, body] of Object.entries(indexTemplates(config.indexPrefix, config.mode === 'datastream'))) {
          await this.http.json('PUT', `/_index_template/${encodeURIComponent(name)}`, body, signal);
        }
        this.refused = false;
        logger.info({ url: maskUrlCredentials(config.url) }, 'Index templates installed.');
      },
      {
        attempts: Number.POSITIVE_INFINITY,
        initialDelayMs: config.initialBackoffMs,
        maxDelayMs: config.maxBackoffMs,
        signal,
        onRetry: (error, _attempt, delayMs) => {
          if (error instanceof ElasticsearchAuthError) {
            this.reportRefused(error);
            for (const tell of this.refusedWaiters) tell(error);
          } else
            logger.warn(
              { error: describeError(error), retryInMs: delayMs },
              'Cannot install index templates yet; retrying.',
            );
        },
      },
    );
    this.ready.catch(() => undefined);
    return Promise.resolve();
  }

  async write(batch: Batch, signal: AbortSignal): Promise<void> {
    const { config } = this.options;
    await this.templatesInstalled();
    const delivery: Delivery = { pending: undefined, limit: Number.POSITIVE_INFINITY, requests: 0 };
    await withRetry(() => this.deliver(batch, delivery, signal), {
      attempts: Number.POSITIVE_INFINITY,
      initialDelayMs: config.initialBackoffMs,
      maxDelayMs: config.maxBackoffMs,
      retryable: (error) => error instanceof ItemsToRetry,
      retryAfterMs: (error) => (error instanceof ItemsToRetry ? error.retryAfterMs : undefined),
      signal,
    });
  }

  /**
   * Waits for the index templates; rejects when an install attempt is refused for its credentials,
   * so the write fails (and the pipeline says so on /readyz) instead of waiting silently.
   */
  private templatesInstalled(): Promise<void> {
    return new Promise((resolve, reject) => {
      const refused = (error: ElasticsearchAuthError): void => {
        this.refusedWaiters.delete(refused);
        reject(error);
      };
      this.refusedWaiters.add(refused);
      this.ready.then(
        () => {
          this.refusedWaiters.delete(refused);
          resolve();
        },
        (error: unknown) => {
          this.refusedWaiters.delete(refused);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Logs a refusal of the credentials once until a request succeeds again. */
  private reportRefused(error: ElasticsearchAuthError): void {
    if (this.refused) return;
    this.refused = true;
    this.options.logger.error(
      { err: error, url: maskUrlCredentials(this.options.config.url) },
      'Elasticsearch refuses the credentials; lines are kept and sent again until it accepts them.',
    );
  }

  /**
   * Sends the pending items until every one is stored or dead-lettered (resolves), or some failed
   * in a way worth a wait before sending again (throws {@link ItemsToRetry}).
   */
  private async deliver(batch: Batch, delivery: Delivery, signal: AbortSignal): Promise<void> {
    const { metrics } = this.options;
    for (;;) {
      const attempt = ++delivery.requests;
      const { pending, limit } = delivery;
      let sending = pending;
      let held: number[] = [];
      if (limit < (pending?.length ?? batch.count)) {
        const all = pending ?? Array.from({ length: batch.count }, (_, k) => k);
        sending = all.slice(0, limit);
        held = all.slice(limit);
      }
      const body =
        sending === undefined ? batch.buf.subarray(0, batch.length) : Buffer.concat(sending.map((i) => batch.item(i)));
      const count = sending?.length ?? batch.count;
      const itemAt = (k: number): number => (sending === undefined ? k : sending[k]!);
      const end = metrics.bulkDuration.startTimer({ sink: this.name });
      let retryAfterMs: number | undefined;
      let failed: number[] = [];
      let wait = true;
      const letters: DeadLetter[] = [];
      const deadAll = (reason: string, detail: string): void => {
        for (let k = 0; k < count; k++) {
          const i = itemAt(k);
          letters.push({
            index: batch.index(i),
            id: batch.id(i),
            reason,
            detail,
            document: batch.doc(i).toString('utf8'),
          });
        }
      };
      try {
        const answer = await this.bulk(body, signal);
        end();
        if (answer.status < 300) this.refused = false;
        if (answer.status === 413) {
          if (count === 1) {
            deadAll('request_too_large', answer.body.toString('utf8', 0, 1000));
          } else {
            // Too large for the server (or a proxy): send the same items in halves.
            delivery.limit = Math.ceil(count / 2);
            failed = Array.from({ length: count }, (_, k) => itemAt(k));
            wait = false;
            metrics.retries.inc({ sink: this.name, reason: 'status_413' });
          }
        } else if (answer.status === 401 || answer.status === 403) {
          // Nothing stored, and a dead letter would lose lines that a fixed credential stores: the write
          // fails, and the pipeline retries it with backoff, counts it and reports it on /readyz.
          const error = new ElasticsearchAuthError(answer.status, 'POST /_bulk', answer.body);
          metrics.retries.inc({ sink: this.name, reason: `status_${answer.status}` });
          this.reportRefused(error);
          throw error;
        } else if (answer.status >= 300) {
          if (retryableStatus(answer.status)) {
            failed = Array.from({ length: count }, (_, k) => itemAt(k));
            retryAfterMs = parseRetryAfter(answer.retryAfter);
            metrics.retries.inc({ sink: this.name, reason: `status_${answer.status}` });
            if (attempt === 1 || attempt % 10 === 0)
              this.options.logger.warn(
                { status: answer.status, attempt, items: failed.length },
                'Bulk request refused; retrying.',
              );
          } else {
            // The whole request is refused and will be refused again: every item is a dead letter.
            let reason = `status_${answer.status}`;
            try {
              reason =
                (JSON.parse(answer.body.toString('utf8')) as { error?: { type?: string } }).error?.type ?? reason;
            } catch {
              /* not JSON */
            }
            deadAll(reason, answer.body.toString('utf8', 0, 1000));
          }
        } else if (noErrors.test(answer.body.toString('latin1', 0, 200))) {
          // Everything stored: the per-item answers need not be parsed.
          metrics.eventsShipped.inc({ sink: this.name }, count);
        } else {
          const response = JSON.parse(answer.body.toString('utf8')) as { items?: Record<string, BulkItemResult>[] };
          const items = response.items ?? [];
          let stored = 0;
          items.forEach((entry, k) => {
            const result = Object.values(entry)[0] ?? { status: 500 };
            const i = itemAt(k);
            if (result.status < 300 || result.status === 409) {
              stored++;
              return;
            }
            if (retryableStatus(result.status)) {
              failed.push(i);
              return;
            }
            letters.push({
              index: batch.index(i),
              id: batch.id(i),
              reason: result.error?.type ?? `status_${result.status}`,
              detail: result.error?.reason ?? '',
              document: batch.doc(i).toString('utf8'),
            });
          });
          // Items the answer does not mention were not processed.
          for (let k = items.length; k < count; k++) failed.push(itemAt(k));
          metrics.eventsShipped.inc({ sink: this.name }, stored);
          if (failed.length > 0) metrics.retries.inc({ sink: this.name, reason: 'item' }, failed.length);
        }
      } catch (error) {
        if (error instanceof ElasticsearchAuthError) throw error;
        end();
        if (signal.aborted) throw error;
        failed = Array.from({ length: count }, (_, k) => itemAt(k));
        const reason = error instanceof ElasticsearchTimeoutError ? 'timeout' : 'connection';
        metrics.retries.inc({ sink: this.name, reason });
        if (attempt === 1 || attempt % 10 === 0)
          this.options.logger.warn(
            { error: describeError(error), attempt, items: failed.length },
            'Bulk request failed; retrying.',
          );
      }
      if (letters.length > 0) {
        await this.deadLetters.write(letters);
        for (const letter of letters) metrics.deadLettered.inc({ sink: this.name, reason: letter.reason });
      }
      const next = failed.concat(held);
      if (next.length === 0) return;
      delivery.pending = next;
      // Split halves of a 413 go out at once; anything refused or lost waits (core/retry.ts).
      if (failed.length > 0 && wait) throw new ItemsToRetry(failed.length, retryAfterMs);
    }
  }

  /** One _bulk request; the answer is decoded and parsed only when it reports errors. */
  private bulk(body: Buffer, signal: AbortSignal): Promise<ElasticsearchAnswer> {
    return this.http.request('POST', '/_bulk', body, 'application/x-ndjson', signal);
  }

  close(): Promise<void> {
    this.http.close();
    return Promise.resolve();
  }
}
