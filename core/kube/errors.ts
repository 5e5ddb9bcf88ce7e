import { WatchkeeperError } from '../errors.ts';
import { parseRetryAfter } from '../retry.ts';

/** The `Status` object the API server sends with most error responses. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  metadata?: { resourceVersion?: string; continue?: string };
}

/** The API server answered with an error status. The message names the verb, path, status and reason. */
export class KubeApiError extends WatchkeeperError {
  /** HTTP status, e.g. 404, 409, 410. */
  readonly status: number;
  /** Machine reason from the Status body, e.g. 'NotFound', 'Conflict', 'Expired', 'Forbidden'. */
  readonly reason: string;
  /** HTTP method of the failed request. */
  readonly verb: string;
  /** Path of the failed request, without the query. */
  readonly path: string;
  /** The server's own message, when it sent a Status. */
  readonly apiMessage: string;
  /** The decoded Status body, when there was one. */
  readonly kubeStatus: KubeStatus | undefined;
  /** Server-requested delay before retrying (Retry-After), if any. */
  readonly retryAfterMs: number | undefined;

  constructor(init: { status: number; verb: string; path: string; body: Buffer; retryAfter?: string | undefined }) {
    const kubeStatus = parseStatus(init.body);
    const reason = kubeStatus?.reason ?? reasonForStatus(init.status);
    const apiMessage = kubeStatus?.message ?? init.body.toString('utf8', 0, 300).trim();
    super(
      'kube_request_failed',
      `${init.verb} ${init.path}: ${init.status} ${reason}${apiMessage ? `: ${apiMessage}` : ''}`,
    );
    this.name = 'KubeApiError';
    this.status = init.status;
    this.reason = reason;
    this.verb = init.verb;
    this.path = init.path;
    this.apiMessage = apiMessage;
    this.kubeStatus = kubeStatus;
    this.retryAfterMs =
      parseRetryAfter(init.retryAfter) ??
      (kubeStatus?.details?.retryAfterSeconds !== undefined ? kubeStatus.details.retryAfterSeconds * 1000 : undefined);
  }
}

/** The API server could not be reached or did not answer in time. */
export class KubeUnreachableError extends WatchkeeperError {
  readonly verb: string;
  readonly path: string;
  /** Node error code, e.g. ECONNREFUSED, or 'TIMEOUT'. */
  readonly errno: string;

  constructor(init: { verb: string; path: string; server: string; errno: string; detail: string; cause?: unknown }) {
    super('kube_unreachable', `${init.verb} ${init.path}: cannot reach ${init.server}: ${init.detail}`, {
      cause: init.cause,
    });
    this.name = 'KubeUnreachableError';
    this.verb = init.verb;
    this.path = init.path;
    this.errno = init.errno;
  }
}

/** True for an API error with this status. */
export function isStatus(error: unknown, status: number): error is KubeApiError {
  return error instanceof KubeApiError && error.status === status;
}

/** True when retrying the same request may succeed: unreachable, 429, 5xx (not 501). */
export function isRetryableKubeError(error: unknown): boolean {
  if (error instanceof KubeUnreachableError) return true;
  if (error instanceof KubeApiError) return error.status === 429 || (error.status >= 500 && error.status !== 501);
  return false;
}

function parseStatus(body: Buffer): KubeStatus | undefined {
  if (body.length === 0 || body[0] !== 0x7b) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as KubeStatus;
    return parsed.kind === 'Status' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function reasonForStatus(status: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Expired',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[status] ?? `HTTP${status}`;
}
