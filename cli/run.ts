import { CommanderError, type Command } from 'commander';
import { ExitCode, WatchkeeperError, describeError } from '../core/errors.ts';

/** Parses argv, runs the chosen command and maps every outcome to an exit code (0, 1 or 2). */
export async function runCli(program: Command, argv: readonly string[]): Promise<number> {
  // Commands added with addCommand do not inherit exitOverride, so apply it to the whole tree.
  const override = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the message (or the help text).
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return ExitCode.ok;
      return ExitCode.usage;
    }
    if (error instanceof WatchkeeperError) {
      process.stderr.write(`watchkeeper: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`watchkeeper: ${describeError(error)}\n`);
    return ExitCode.failure;
  }
}
