import { Command } from 'commander';
import { kubeClientFromConfig } from '../../backup/api/client.ts';
import { restoreApiBackup, type RestoreFilters } from '../../backup/api/restore.ts';
import { formatRestoreReport } from '../../backup/api/restore-report.ts';
import { Selection } from '../../backup/api/selection.ts';
import { parseNamespaceMap } from '../../backup/api/transform.ts';
import { resolveBackup } from '../../backup/catalog.ts';
import { commandLogger, intFlag, outputFormat } from '../../backup/cli-support.ts';
import { withBackupContext } from '../../backup/context.ts';
import { readManifest } from '../../backup/manifest.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import { withInterrupt } from '../interrupt.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';

interface RestoreApiOptions extends ConfigOptions {
  backupName?: string;
  selector?: string[];
  includeNamespaces?: string;
  excludeNamespaces?: string;
  includeResources?: string;
  excludeResources?: string;
  names?: string;
  namespaceMap?: string[];
  existing: string;
  dryRun?: boolean;
  restoreStatus?: boolean;
  keepManagedFields?: boolean;
  concurrency: string;
  kubeconfig?: string;
  context?: string;
  workDir?: string;
  allowUnauthenticated?: boolean;
  output: string;
}

const list = (value: string | undefined): string[] =>
  value === undefined
    ? []
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
const repeat = (v: string, prev: string[] = []): string[] => [...prev, v];

/** `watchkeeper restore api <id|latest>`: verified, filtered, ordered restore of API objects. */
export function restoreApiCommand(): Command {
  return withConfigOptions(new Command('api'))
    .description(
      'restore API objects from an API backup: verify the whole archive, check permissions, then create level by level (CRDs, namespaces, storage, RBAC, configuration, services, workloads, the rest)',
    )
    .argument('<backup>', 'backup id, or latest')
    .option('--backup-name <name>', 'with latest: the latest backup of this name')
    .option('-l, --selector <selector>', 'restore only objects matching this label selector (repeat for an OR)', repeat)
    .option('--include-namespaces <globs>', 'comma-separated namespaces (as in the backup) to restore')
    .option('--exclude-namespaces <globs>', 'comma-separated namespaces not to restore')
    .option('--include-resources <globs>', 'comma-separated resources to restore ("configmaps", "deployments.apps")')
    .option('--exclude-resources <globs>', 'comma-separated resources not to restore')
    .option('--names <globs>', 'comma-separated object names to restore')
    .option(
      '--namespace-map <old:new>',
      'restore namespace old into namespace new (repeatable); binding subjects and PV claims follow',
      repeat,
    )
    .option('--existing <policy>', 'when an object exists: skip (default), update (replace it) or fail', 'skip')
    .option('--dry-run', 'send every write with dryRun=All: the server validates and admits, nothing is stored')
    .option('--restore-status', 'also write the backed-up status (through the status subresource)')
    .option('--keep-managed-fields', 'keep metadata.managedFields as backed up')
    .option('--concurrency <n>', 'objects written at the same time within a level', '8')
    .option(
      '--kubeconfig <file>',
      'kubeconfig of the target cluster, e.g. of the restore identity (default: kubernetes.kubeconfig, $KUBECONFIG)',
    )
    .option('--context <name>', 'kubeconfig context')
    .option('--work-dir <dir>', 'where the verified objects wait for their level (default: the system temp dir)')
    .option(
      '--allow-unauthenticated',
      'with a key configured, still restore a backup (given by id) whose manifest is not authenticated',
    )
    .option('-o, --output <format>', 'table or json', 'table')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper restore api latest --include-namespaces prod --dry-run
  watchkeeper restore api 20260425T101500Z-api-nightly-1a2b -l app=payments --namespace-map prod:prod-restored
  watchkeeper restore api latest --include-resources configmaps --names 'app-config*' --existing update -o json
The report is stored beside the backup as restore-<restore id>.jsonl.
With a backup key configured, "latest" is the newest authenticated backup, and a backup whose manifest is not
authenticated by that key, or whose objects are not encrypted, is refused; without one, the restore says that the
backup's origin cannot be verified. Ctrl-C (or SIGTERM) stops the restore before its next write and removes the
work files (the decrypted objects, 0600 in a 0700 directory).
Exit codes: 0 every object created, updated or skipped, 1 an object failed or the restore could not run
(unknown backup, hash mismatch, missing permissions: nothing is written), 2 bad usage or configuration.`,
    )
    .action(async (id: string, options: RestoreApiOptions) => {
      const format = outputFormat(options.output);
      if (!['skip', 'update', 'fail'].includes(options.existing))
        throw new WatchkeeperError('usage', `--existing: expected skip, update or fail, found "${options.existing}"`);
      const filters: RestoreFilters = {
        selectors: options.selector ?? [],
        includeNamespaces: list(options.includeNamespaces),
        excludeNamespaces: list(options.excludeNamespaces),
        includeResources: list(options.includeResources),
        excludeResources: list(options.excludeResources),
        names: list(options.names),
      };
      new Selection({ ...filters, clusterResources: 'all' }); // bad selectors and globs fail here, before anything is read
      const namespaceMap = parseNamespaceMap(options.namespaceMap ?? []);
      const concurrency = intFlag('--concurrency', options.concurrency) ?? 8;
      if (concurrency < 1 || concurrency > 64)
        throw new WatchkeeperError('usage', `--concurrency: expected 1 to 64, found ${concurrency}`);
      const config = await configFromOptions(options);
      const client = await kubeClientFromConfig(config, { kubeconfig: options.kubeconfig, context: options.context });
      try {
        await withBackupContext(config, (ctx) =>
          withInterrupt(async (signal) => {
            const allowUnauthenticated = options.allowUnauthenticated === true;
            const entry = await resolveBackup(ctx.storage, ctx.root, 'api', id, options.backupName, { key: ctx.key });
            const manifest = await readManifest(ctx.storage, ctx.root, 'api', entry.id, {
              key: ctx.key,
              allowUnauthenticated,
            });
            const result = await restoreApiBackup({
              storage: ctx.storage,
              root: ctx.root,
              client,
              manifest,
              key: ctx.key,
              allowUnauthenticated,
              signal,
              filters,
              namespaceMap,
              existing: options.existing as 'skip' | 'update' | 'fail',
              dryRun: options.dryRun === true,
              restoreStatus: options.restoreStatus === true,
              keepManagedFields: options.keepManagedFields === true,
              concurrency,
              workDir: options.workDir,
              logger: commandLogger(config),
            });
            try {
              for (const warning of result.warnings) process.stderr.write(`watchkeeper: warning: ${warning}\n`);
              if (format === 'json') {
                const rows = [];
                for await (const row of result.report.rows()) rows.push(row);
                const { originVerified, warnings, reportKey } = result;
                process.stdout.write(
                  `${JSON.stringify({ ...result.summary, reportKey, originVerified, warnings, objects: rows }, null, 2)}\n`,
                );
              } else {
                process.stdout.write(await formatRestoreReport(result.report, result.summary));
              }
            } finally {
              await result.dispose();
            }
            if (result.summary.counts.failed > 0) process.exitCode = 1;
          }),
        );
      } finally {
        client.close();
      }
    });
}
