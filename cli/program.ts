import { Command } from 'commander';
import { buildInfo } from '../core/version.ts';
import { backupCommand } from './commands/backup.ts';
import { backupsCommand } from './commands/backups.ts';
import { agentCommand } from './commands/agent.ts';
import { configCommand } from './commands/config.ts';
import { logsCommand } from './commands/logs.ts';
import { notBuiltCommand } from './commands/not-built.ts';
import { proberCommand } from './commands/prober.ts';
import { restoreCommand } from './commands/restore.ts';
import { renderCommand } from './commands/render.ts';
import { sandboxCommand } from './commands/sandbox.ts';
import { versionCommand } from './commands/version.ts';

/** Builds the `watchkeeper` command tree. */
export function buildProgram(): Command {
  const program = new Command('watchkeeper')
    .description('Keeps watch over a Kubernetes cluster: metrics, logs and audit, black-box probes, backups.')
    .version(buildInfo.version, '--version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `
Examples:
  watchkeeper sandbox                          start a local real cluster and run every component against it
  watchkeeper config check watchkeeper.yaml    print the effective configuration or its errors
  watchkeeper prober --once                    run one black-box probe and print what broke
  watchkeeper backup etcd -c watchkeeper.yaml  take one etcd snapshot now
  watchkeeper backups list -o json             list the backups in storage`);
  program.addCommand(agentCommand());
  program.addCommand(logsCommand());
  program.addCommand(proberCommand());
  program.addCommand(backupCommand());
  program.addCommand(restoreCommand());
  program.addCommand(backupsCommand());
  program.addCommand(renderCommand());
  program.addCommand(sandboxCommand());
  program.addCommand(configCommand());
  program.addCommand(versionCommand());
  return program;
}
