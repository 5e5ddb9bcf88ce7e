import { Command } from 'commander';
import { kubeClientFromConfig } from '../../backup/api/client.ts';
import { backupDigests, diffDigests, liveDigests, showObject } from '../../backup/api/inspect.ts';
import { resolveBackup } from '../../backup/catalog.ts';
import { outputFormat } from '../../backup/cli-support.ts';
import { withBackupContext } from '../../backup/context.ts';
import { readManifest } from '../../backup/manifest.ts';
import { formatTable } from '../../core/table.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';

interface ShowOptions extends ConfigOptions {
  namespace?: string;
  workDir?: string;
}

interface DiffOptions extends ConfigOptions {
  against: string;
  kubeconfig?: string;
  context?: string;
  workDir?: string;
  output: string;
}

/** `watchkeeper backups show <id> <resource>/<name> [-n ns]`: one object as it was backed up. */
export function backupsShowCommand(): Command {
  return withConfigOptions(new Command('show'))
    .description('print one object from an API backup (the whole archive is verified first)')
    .argument('<backup>', 'API backup id, or latest')
    .argument('<object>', 'resource/name, e.g. configmaps/app-config, deployments.apps/web or deployment/web')
    .option('-n, --namespace <ns>', 'namespace of the object (default: default)')
    .option('--work-dir <dir>', 'where the index is downloaded (default: the system temp dir)')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper backups show latest configmaps/app-config -n prod
  watchkeeper backups show 20260425T101500Z-api-nightly-1a2b clusterroles.rbac.authorization.k8s.io/payments-reader
Exit codes: 0 printed, 1 not in the backup (or the backup is corrupted), 2 bad usage or configuration.`,
    )
    .action(async (id: string, target: string, options: ShowOptions) => {
      const slash = target.indexOf('/');
      if (slash <= 0 || slash === target.length - 1 || target.indexOf('/', slash + 1) !== -1)
        throw new WatchkeeperError(
          'usage',
          `expected <resource>/<name>, e.g. configmaps/app-config, found "${target}"`,
        );
      const config = await configFromOptions(options);
      await withBackupContext(config, async (ctx) => {
        const entry = await resolveBackup(ctx.storage, ctx.root, 'api', id, undefined, { key: ctx.key });
        const manifest = await readManifest(ctx.storage, ctx.root, 'api', entry.id, { key: ctx.key });
        const object = await showObject(
          { storage: ctx.storage, root: ctx.root, manifest, key: ctx.key, workDir: options.workDir },
          target.slice(0, slash),
          target.slice(slash + 1),
          options.namespace,
        );
        process.stdout.write(`${JSON.stringify(object, null, 2)}\n`);
      });
    });
}

/** `watchkeeper backups diff <id> [--against live|<id2>]`: selected objects added, removed or changed since. */
export function backupsDiffCommand(): Command {
  return withConfigOptions(new Command('diff'))
    .description(
      'say which objects the backup selected were added, removed or changed since: in the live cluster or in a later backup',
    )
    .argument('<backup>', 'API backup id, or latest')
    .option('--against <target>', 'live (the cluster now, with the same selection) or another API backup id', 'live')
    .option('--kubeconfig <file>', 'kubeconfig of the live cluster')
    .option('--context <name>', 'kubeconfig context')
    .option('--work-dir <dir>', 'where indexes are downloaded (default: the system temp dir)')
    .option('-o, --output <format>', 'table or json', 'table')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper backups diff latest                       what changed in the cluster since the latest API backup
  watchkeeper backups diff 20260425T101500Z-api-nightly-1a2b --against 20260426T101500Z-api-nightly-9f00 -o json
Status and server-owned fields are ignored. Exit codes: 0 compared (differences or not), 1 failure, 2 bad usage.`,
    )
    .action(async (id: string, options: DiffOptions) => {
      const format = outputFormat(options.output);
      const config = await configFromOptions(options);
      await withBackupContext(config, async (ctx) => {
        const entry = await resolveBackup(ctx.storage, ctx.root, 'api', id, undefined, { key: ctx.key });
        const manifest = await readManifest(ctx.storage, ctx.root, 'api', entry.id, { key: ctx.key });
        const before = await backupDigests({
          storage: ctx.storage,
          root: ctx.root,
          manifest,
          key: ctx.key,
          workDir: options.workDir,
        });
        let after;
        if (options.against === 'live') {
          const client = await kubeClientFromConfig(config, {
            kubeconfig: options.kubeconfig,
            context: options.context,
          });
          try {
            after = await liveDigests(client, manifest, before);
          } finally {
            client.close();
          }
        } else {
          const other = await resolveBackup(ctx.storage, ctx.root, 'api', options.against, undefined, { key: ctx.key });
          const otherManifest = await readManifest(ctx.storage, ctx.root, 'api', other.id, { key: ctx.key });
          after = await backupDigests({
            storage: ctx.storage,
            root: ctx.root,
            manifest: otherManifest,
            key: ctx.key,
            workDir: options.workDir,
          });
        }
        const rows = diffDigests(before, after);
        if (format === 'json') {
          process.stdout.write(
            `${JSON.stringify({ backup: manifest.id, against: options.against, differences: rows }, null, 2)}\n`,
          );
        } else {
          process.stdout.write(
            rows.length === 0
              ? `No differences between ${manifest.id} and ${options.against}.\n`
              : formatTable(
                  ['CHANGE', 'RESOURCE', 'NAMESPACE', 'NAME'],
                  rows.map((r) => [r.change, r.resource, r.namespace, r.name]),
                ),
          );
        }
      });
    });
}
