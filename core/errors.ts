/** Exit codes of the CLI: success, a failure at run time, bad usage or configuration. */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

/** Machine-readable reasons for a {@link WatchkeeperError}. */
export type ErrorCode =
  | 'config_invalid'
  | 'usage'
  | 'not_implemented'
  | 'kube_request_failed'
  | 'kube_unreachable'
  | 'storage_failed'
  | 'not_found'
  | 'integrity'
  | 'timeout'
  | 'failed';

/** An error that carries a code and the CLI exit code it maps to. */
export class WatchkeeperError extends Error {
  /** Why it failed, for programs. */
  readonly code: ErrorCode;
  /** Exit code the CLI uses when this error ends a command. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WatchkeeperError';
    this.code = code;
    this.exitCode =
      options?.exitCode ??
      (code === 'config_invalid' || code === 'usage' || code === 'not_implemented' ? ExitCode.usage : ExitCode.failure);
  }
}

/** Returns a one-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
