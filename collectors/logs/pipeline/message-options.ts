import type { LogsConfig } from '../config.ts';
import { compileRedactions } from '../enrich/redact.ts';
import type { MessageOptions } from './emitter.ts';

/** The message transforms of container logs, from the `logs:` section (redaction, exclusion, JSON, multiline). */
export function containerMessageOptions(logs: LogsConfig): MessageOptions {
  const { containers } = logs;
  return {
    redactions: compileRedactions(logs.redact),
    ...(containers.excludePattern ? { exclude: new RegExp(containers.excludePattern) } : {}),
    parseJson: containers.parseJson,
    ...(containers.multilineStart ? { multilineStart: new RegExp(containers.multilineStart) } : {}),
    maxMessageBytes: containers.maxMessageBytes,
  };
}
