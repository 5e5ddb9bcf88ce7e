import type { Command } from 'commander';
import { loadConfig } from '../core/config/load.ts';
import type { Config } from '../core/config/schema.ts';

/** Options every command that reads the configuration accepts. */
export interface ConfigOptions {
  config?: string;
  set?: string[];
}

/** Adds --config and --set to a command. */
export function withConfigOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'configuration file (default: $WATCHKEEPER_CONFIG, else embedded defaults)')
    .option(
      '--set <path=value>',
      'override one setting, e.g. --set log.level=debug (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    );
}

/** Loads the configuration named by the command's options, the environment and the defaults. */
export function configFromOptions(options: ConfigOptions, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const file = options.config ?? (env.WATCHKEEPER_CONFIG || undefined);
  return loadConfig({ file, env, sets: options.set ?? [] });
}
