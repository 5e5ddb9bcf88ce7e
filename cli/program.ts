import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { WatchkeeperError } from '../core/errors.ts';
import { buildInfo } from '../core/version.ts';

/** A subcommand: its one-line summary for the top-level help, and how to load it. */
interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

// Commands are imported only when run: the backup, prober and log shipper modules pull in large
// clients (AWS SDK, etcd3, Kubernetes), which `watchkeeper version` should not pay for.
const commands: Record<string, CommandEntry> = {
  agent: {
    summary: 'node agent: ship container, component and audit logs',
    load: async () => (await import('./commands/agent.ts')).agentCommand(),
  },
  collector: {
    summary: 'cluster-level metrics collectors: scrape targets, expose and push their metrics',
    load: async () => (await import('./commands/collector.ts')).collectorCommand(),
  },
  metrics: {
    summary: 'debug metrics targets: metrics parse FILE, metrics scrape URL, metrics targets',
    load: async () => (await import('./commands/metrics.ts')).metricsCommand(),
  },
  logs: {
    summary: 'debug log parsing: show what the agent would ship for a file',
    load: async () => (await import('./commands/logs.ts')).logsCommand(),
  },
  audit: {
    summary: "answer audit questions: who did it, an object's history, a user's actions, suspicious activity",
    load: async () => (await import('./commands/audit.ts')).auditCommand(),
  },
  prober: {
    summary: 'run black-box probes against the Kubernetes API (--once: one probe, a report)',
    load: async () => (await import('./commands/prober.ts')).proberCommand(),
  },
  backup: {
    summary: 'run scheduled backups (daemon), or one now: backup etcd, backup api',
    load: async () => (await import('./commands/backup.ts')).backupCommand(),
  },
  restore: {
    summary: 'restore a backup: restore etcd|api <id|latest>',
    load: async () => (await import('./commands/restore.ts')).restoreCommand(),
  },
  backups: {
    summary: 'list, describe, verify and prune stored backups; show and diff API backups',
    load: async () => (await import('./commands/backups.ts')).backupsCommand(),
  },
  render: {
    summary: 'write the Grafana dashboards and Prometheus rules to files',
    load: async () => (await import('./commands/render.ts')).renderCommand(),
  },
  sandbox: {
    summary: 'start a local real cluster and run every component against it (from a source checkout)',
    load: loadSandbox,
  },
  config: {
    summary: 'work with the configuration file: config check',
    load: async () => (await import('./commands/config.ts')).configCommand(),
  },
  version: {
    summary: 'print version information',
    load: async () => (await import('./commands/version.ts')).versionCommand(),
  },
};

/**
 * The sandbox runs the test environment's real servers, which exist only in a source checkout: the
 * compiled package and the image leave both out. A computed specifier keeps the compiler from
 * following (and so compiling) the import; where the module is absent, the command says where it runs.
 */
async function loadSandbox(): Promise<Command> {
  const source = new URL('./commands/sandbox.ts', import.meta.url);
  if (source.pathname.endsWith('.ts') && existsSync(source)) {
    return ((await import(source.href)) as { sandboxCommand(): Command }).sandboxCommand();
  }
  return new Command('sandbox')
    .description('start a local real cluster and run every component against it (needs a source checkout)')
    .allowUnknownOption()
    .action(() => {
      throw new WatchkeeperError(
        'usage',
        'the sandbox runs from a source checkout, not from the installed package or the image: ' +
          'git clone the watchkeeper repository, then run `npm ci && npm run sandbox` in it',
      );
    });
}

/** Builds the `watchkeeper` command tree, loading in full only the command that `argv` names. */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('watchkeeper')
    .description('Keeps watch over a Kubernetes cluster: metrics, logs and audit, black-box probes, backups.')
    .version(buildInfo.version, '--version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper sandbox                          start a local real cluster and run every component against it
  watchkeeper config check watchkeeper.yaml    print the effective configuration or its errors
  watchkeeper prober --once                    run one black-box probe and print what broke
  watchkeeper audit who delete pods/web-0 -n shop   who deleted that pod, when, from where
  watchkeeper backup etcd -c watchkeeper.yaml  take one etcd snapshot now
  watchkeeper backups list -o json             list the backups in storage`,
    );
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const wanted = words[0] === 'help' ? words[1] : words[0];
  for (const [name, entry] of Object.entries(commands)) {
    program.addCommand(name === wanted ? await entry.load() : new Command(name).description(entry.summary));
  }
  return program;
}
