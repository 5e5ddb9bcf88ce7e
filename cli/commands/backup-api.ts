import { Command } from 'commander';
import { runApiBackup } from '../../backup/api/backup.ts';
import { kubeClientFromConfig } from '../../backup/api/client.ts';
import { apiBackupSection, type ApiBackupConfig } from '../../backup/api/config.ts';
import { Selection } from '../../backup/api/selection.ts';
import { commandLogger, intFlag, outputFormat } from '../../backup/cli-support.ts';
import { withBackupContext } from '../../backup/context.ts';
import { pruneBackups } from '../../backup/prune.ts';
import { formatApiManifest } from '../../backup/api/describe.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';

interface ApiOptions extends ConfigOptions {
  name: string;
  selector?: string[];
  includeNamespaces?: string;
  excludeNamespaces?: string;
  includeResources?: string;
  excludeResources?: string;
  clusterResources?: string;
  compression?: string;
  concurrency?: string;
  kubeconfig?: string;
  context?: string;
  prune?: boolean;
  output: string;
}

const list = (value: string | undefined): string[] | undefined =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
const repeat = (v: string, prev: string[] = []): string[] => [...prev, v];

/** `watchkeeper backup api`: one label-selected API backup now. */
export function backupApiCommand(): Command {
  return withConfigOptions(new Command('api'))
    .description(
      'back up API objects now: discovery, paged LIST of every selected resource, streamed into a tar (compressed, encrypted) in storage',
    )
    .option(
      '--name <name>',
      'backup name recorded in the id; a kind: api schedule of this name gives the default selection',
      'manual',
    )
    .option(
      '-l, --selector <selector>',
      'label selector, kubectl syntax (repeat for an OR: objects matching any)',
      repeat,
    )
    .option('--include-namespaces <globs>', 'comma-separated namespaces or globs to back up (default: all)')
    .option('--exclude-namespaces <globs>', 'comma-separated namespaces or globs never backed up')
    .option(
      '--include-resources <globs>',
      'comma-separated resources ("deployments", "deployments.apps", "*.example.com")',
    )
    .option('--exclude-resources <globs>', 'comma-separated resources never backed up')
    .option(
      '--cluster-resources <mode>',
      'cluster-scoped objects: none, all (matching the selectors) or referenced (default)',
    )
    .option('--compression <algorithm>', 'zstd (default), gzip or none')
    .option('--concurrency <n>', 'resources listed at the same time (default 4)')
    .option(
      '--kubeconfig <file>',
      'kubeconfig of the cluster to back up (default: kubernetes.kubeconfig, $KUBECONFIG, in-cluster)',
    )
    .option('--context <name>', 'kubeconfig context')
    .option('--prune', 'apply the retention of the schedule with the same --name afterwards')
    .option('-o, --output <format>', 'table or json', 'table')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper backup api -l app=payments
  watchkeeper backup api -l 'tier in (web,api)' -l team=db --include-namespaces 'prod-*' --exclude-resources secrets
  watchkeeper backup api --name api-nightly --prune -o json     (selection of the kind: api schedule api-nightly)
Events are never backed up; objects labelled watchkeeper.io/exclude-from-backup=true are left out.
Exit codes: 0 stored, 1 failed (nothing is left that lists as a backup), 2 bad usage or configuration.`,
    )
    .action(async (local: ApiOptions, command: Command) => {
      const options = { ...command.optsWithGlobals(), ...local };
      const format = outputFormat(options.output);
      const config = await configFromOptions(options);
      const schedule = config.backup.schedules.find((s) => s.name === options.name && s.kind === 'api');
      const api = apiSettings(schedule?.api ?? apiBackupSection.parse({}), options);
      new Selection(api); // bad selectors and globs fail here, before any request
      const logger = commandLogger(config);
      const client = await kubeClientFromConfig(config, { kubeconfig: options.kubeconfig, context: options.context });
      try {
        await withBackupContext(config, async (ctx) => {
          const manifest = await runApiBackup({
            storage: ctx.storage,
            root: ctx.root,
            client,
            name: options.name,
            api,
            encryptionKey: ctx.encryptionKey,
            logger,
          });
          if (manifest.api?.secretsIncluded && !ctx.encryptionKey) {
            process.stderr.write(
              'WARNING: this backup holds Secrets and is NOT encrypted: enable backup.encryption or exclude secrets.\n',
            );
          }
          if (options.prune === true && schedule?.retention) {
            // With a key, planted or unauthenticated backups neither count for retention nor get deleted by it.
            await pruneBackups({
              storage: ctx.storage,
              root: ctx.root,
              kind: 'api',
              name: options.name,
              policy: schedule.retention,
              dryRun: false,
              logger,
              key: ctx.key,
            });
          }
          process.stdout.write(
            format === 'json'
              ? `${JSON.stringify(manifest, null, 2)}\n`
              : `Stored in ${ctx.storage.location}\n${formatApiManifest(manifest)}`,
          );
        });
      } finally {
        client.close();
      }
    });
}

/** The schedule's (or default) settings with the command-line flags applied, validated. */
function apiSettings(base: ApiBackupConfig, options: ApiOptions): ApiBackupConfig {
  const merged = {
    ...base,
    ...(options.selector ? { selectors: options.selector } : {}),
    ...(options.includeNamespaces !== undefined ? { includeNamespaces: list(options.includeNamespaces) } : {}),
    ...(options.excludeNamespaces !== undefined ? { excludeNamespaces: list(options.excludeNamespaces) } : {}),
    ...(options.includeResources !== undefined ? { includeResources: list(options.includeResources) } : {}),
    ...(options.excludeResources !== undefined ? { excludeResources: list(options.excludeResources) } : {}),
    ...(options.clusterResources !== undefined ? { clusterResources: options.clusterResources } : {}),
    ...(options.compression !== undefined ? { compression: options.compression } : {}),
    ...(options.concurrency !== undefined ? { concurrency: intFlag('--concurrency', options.concurrency) } : {}),
  };
  const result = apiBackupSection.safeParse(merged);
  if (!result.success) {
    throw new WatchkeeperError(
      'usage',
      result.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; '),
    );
  }
  return result.data;
}
