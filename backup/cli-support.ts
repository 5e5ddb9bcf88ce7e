import type { Config } from '../core/config/schema.ts';
import { WatchkeeperError } from '../core/errors.ts';
import { createLogger, type Logger } from '../core/log.ts';

/** Output formats of the backup commands. */
export type OutputFormat = 'table' | 'json';

/** Checks an -o/--output value. */
export function outputFormat(value: string): OutputFormat {
  if (value !== 'table' && value !== 'json')
    throw new WatchkeeperError('usage', `--output: expected table or json, found "${value}"`);
  return value;
}

/**
 * The logger of a one-off command: JSON on stderr (stdout holds only the result), and quiet
 * (warnings and errors) unless the configuration asks for debug or trace.
 */
export function commandLogger(config: Config): Logger {
  const level =
    config.log.level === 'debug' || config.log.level === 'trace' || config.log.level === 'silent'
      ? config.log.level
      : 'warn';
  return createLogger({ level, format: 'json', destination: process.stderr }).child({ component: 'backup' });
}

/** Parses a non-negative integer flag. */
export function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new WatchkeeperError('usage', `${name}: expected a whole number, found "${value}"`);
  return Number(value);
}
