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
  output: string;
}

const list = (value: string | undefined): string[] => (value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s !== ''));
const repeat = (v: string, prev: string[] = []): string[] => [...prev, v];

/** `watchkeeper restore api <id|latest>`: verified, filtered, ordered restore of API objects. */
export function restoreApiCommand(): Command {
  return withConfigOptions(new Command('api'))
    .description('restore API objects from an API backup: verify the whole archive, check permissions, then create level by level (CRDs, namespaces, storage, RBAC, configuration, services, workloads, the rest)')
    .argument('<backup>', 'backup id, or latest')
    .option('--backup-name <name>', 'with latest: the latest backup of this name')
    .option('-l, --selector <selector>', 'restore only objects matching this label selector (repeat for an OR)', repeat)
    .option('--include-namespaces <globs>', 'comma-separated namespaces (as in the backup) to restore')
    .option('--exclude-namespaces <globs>', 'comma-separated namespaces not to restore')
    .option('--include-resources <globs>', 'comma-separated resources to restore ("configmaps", "deployments.apps")')
    .option('--exclude-resources <globs>', 'comma-separated resources not to restore')
    .option('--names <globs>', 'comma-separated object names to restore')
    .option('--namespace-map <old:new>', 'restore namespace old into namespace new (repeatable); binding subjects and PV claims follow', repeat)
    .option('--existing <policy>', 'when an object exists: skip (default), update (replace it) or fail', 'skip')
    .option('--dry-run', 'send every write with dryRun=All: the server validates and admits, nothing is stored')
    .option('--restore-status', 'also write the backed-up status (through the status subresource)')
    .option('--keep-managed-fields', 'keep metadata.managedFields as backed up')
    .option('--concurrency <n>', 'objects written at the same time within a level', '8')
    .option('--kubeconfig <file>', 'kubeconfig of the target cluster, e.g. of the restore identity (default: kubernetes.kubeconfig, $KUBECONFIG)')
    .option('--context <name>', 'kubeconfig context')
    .option('--work-dir <dir>', 'where the verified objects wait for their level (default: the system temp dir)')
    .option('-o, --output <format>', 'table or json', 'table')
    .addHelpText('after', `
Examples:
  watchkeeper restore api latest --include-namespaces prod --dry-run
  watchkeeper restore api 20260425T101500Z-api-nightly-1a2b -l app=payments --namespace-map prod:prod-restored
  watchkeeper restore api latest --include-resources configmaps --names 'app-config*' --existing update -o json
The report is stored beside the backup as restore-<restore id>.jsonl.
Exit codes: 0 every object created, updated or skipped, 1 an object failed or the restore could not run
(unknown backup, hash mismatch, missing permissions: nothing is written), 2 bad usage or configuration.`)
    .action(async (id: string, options: RestoreApiOptions) => {
      const format = outputFormat(options.output);
      if (!['skip', 'update', 'fail'].includes(options.existing)) throw new WatchkeeperError('usage', `--existing: expected skip, update or fail, found "${options.existing}"`);
      const filters: RestoreFilters = {
        selectors: options.selector ?? [], includeNamespaces: list(options.includeNamespaces), excludeNamespaces: list(options.excludeNamespaces),
        includeResources: list(options.includeResources), excludeResources: list(options.excludeResources), names: list(options.names),
      };
      new Selection({ ...filters, clusterResources: 'all' }); // bad selectors and globs fail here, before anything is read
      const namespaceMap = parseNamespaceMap(options.namespaceMap ?? []);
      const concurrency = intFlag('--concurrency', options.concurrency) ?? 8;
      if (concurrency < 1 || concurrency > 64) throw new WatchkeeperError('usage', `--concurrency: expected 1 to 64, found ${concurrency}`);
      const config = await configFromOptions(options);
      const client = await kubeClientFromConfig(config, { kubeconfig: options.kubeconfig, context: options.context });
      try {
        await withBackupContext(config, async (ctx) => {
          const entry = await resolveBackup(ctx.storage, ctx.root, 'api', id, options.backupName);
          const manifest = await readManifest(ctx.storage, ctx.root, 'api', entry.id);
          const result = await restoreApiBackup({
            storage: ctx.storage, root: ctx.root, client, manifest, key: ctx.key, filters, namespaceMap,
            existing: options.existing as 'skip' | 'update' | 'fail', dryRun: options.dryRun === true, restoreStatus: options.restoreStatus === true,
            keepManagedFields: options.keepManagedFields === true, concurrency, workDir: options.workDir, logger: commandLogger(config),
          });
          try {
            if (format === 'json') {
              const rows = [];
              for await (const row of result.report.rows()) rows.push(row);
              process.stdout.write(`${JSON.stringify({ ...result.summary, reportKey: result.reportKey, objects: rows }, null, 2)}\n`);
            } else {
              process.stdout.write(await formatRestoreReport(result.report, result.summary));
            }
          } finally {
            await result.dispose();
          }
          if (result.summary.counts.failed > 0) process.exitCode = 1;
        });
      } finally {
        client.close();
      }
    });
}
