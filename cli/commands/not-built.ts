import { Command } from 'commander';
import { WatchkeeperError } from '../../core/errors.ts';

/** A subcommand whose component is not built yet: it says so and exits 2. */
export function notBuiltCommand(name: string, description: string, component: string): Command {
  return new Command(name)
    .description(`${description} (not built yet)`)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(() => {
      throw new WatchkeeperError(
        'not_implemented',
        `'watchkeeper ${name}' is not built yet: ${component} has not landed in this version.`,
      );
    });
}
