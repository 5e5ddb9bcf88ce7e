import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** Paths that are always masked in log records, wherever they appear one or two levels deep. */
const redactedPaths = [
  'password',
  'token',
  'secret',
  'authorization',
  'accessKeyId',
  'secretAccessKey',
  'key',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.accessKeyId',
  '*.secretAccessKey',
  '*.key',
  'headers.authorization',
  '*.headers.authorization',
];

/** How log records are written: JSON lines, or readable lines for people. */
export type LogFormat = 'json' | 'pretty' | 'auto';

/** Options of the root logger. */
export interface LoggerOptions {
  /** Lowest level written. */
  level: LevelWithSilent;
  /** 'auto' picks 'pretty' when stdout is a terminal, 'json' otherwise. */
  format: LogFormat;
  /** Destination; defaults to stdout. Tests pass a stream to read records back. */
  destination?: NodeJS.WritableStream;
}

/** Creates the one root logger; components take `logger.child({ component })`. */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  const base = { level: options.level, redact: { paths: redactedPaths, censor: '[redacted]' }, base: undefined };
  if (pretty && options.destination === undefined) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return options.destination === undefined ? pino(base) : pino(base, options.destination);
}
