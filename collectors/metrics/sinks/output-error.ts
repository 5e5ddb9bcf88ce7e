import { parseRetryAfter } from '../../../core/retry.ts';

/** A failed write attempt: the reason (a metric label), whether another attempt may succeed, and how long to wait. */
export class OutputError extends Error {
  /** Stable error code for logs. */
  readonly code = 'OUTPUT_WRITE_FAILED';
  /** status_<code>, connection, timeout, tls or credentials. */
  readonly reason: string;
  /** False for answers that will never change (4xx other than 408 and 429). */
  readonly retryable: boolean;
  /** Server-requested delay before the next attempt (Retry-After). */
  readonly retryAfterMs: number | undefined;

  constructor(
    reason: string,
    retryable: boolean,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutputError';
    this.reason = reason;
    this.retryable = retryable;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Throttling, a request timeout and server-side trouble are worth another attempt; other 4xx never are. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The error for an HTTP answer that is not 2xx; `detail` is the start of its body. */
export function statusError(output: string, status: number, detail: string, retryAfter?: string | null): OutputError {
  const retryAfterMs = parseRetryAfter(retryAfter);
  return new OutputError(
    `status_${status}`,
    retryableStatus(status),
    `${output}: HTTP ${status}: ${detail.slice(0, 500).trim()}`,
    {
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  );
}

const tlsErrorCodes = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL_)/;

/** Sorts a thrown transport error into an {@link OutputError} (all retryable, TLS included: certificates get fixed). */
export function transportError(output: string, error: unknown): OutputError {
  if (error instanceof OutputError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  const reason =
    name === 'TimeoutError' || name === 'RequestTimedOutError' || code === 'ETIMEDOUT'
      ? 'timeout'
      : tlsErrorCodes.test(code)
        ? 'tls'
        : 'connection';
  return new OutputError(reason, true, `${output}: ${reason}: ${code || message}`, { cause: error });
}
