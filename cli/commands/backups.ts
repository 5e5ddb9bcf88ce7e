// First: V8 settings that must precede the heavy imports (see backup/runtime-tuning.ts).
import '../../backup/runtime-tuning.ts';
import { Command } from 'commander';
import { WatchkeeperError } from '../../core/errors.ts';
import { listBackups, resolveBackup } from '../../backup/catalog.ts';
import { commandLogger, intFlag, outputFormat } from '../../backup/cli-support.ts';
import { backupContext, withBackupContext } from '../../backup/context.ts';
import { readManifest } from '../../backup/manifest.ts';
import { byteProgress } from '../../backup/progress.ts';
import { pruneBackups } from '../../backup/prune.ts';
import {
  backupListJson,
  formatBackupList,
  formatManifest,
  formatPrune,
  formatVerify,
  pruneJson,
  verifyJson,
} from '../../backup/report.ts';
import type { RetentionPolicy } from '../../backup/retention.ts';
import { backupKinds, type BackupKind } from '../../backup/storage/layout.ts';
import { verifyBackup } from '../../backup/verify.ts';
import { withInterrupt } from '../interrupt.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';
import { formatApiManifest } from '../../backup/api/describe.ts';
import { backupsDiffCommand, backupsShowCommand } from './backups-api.ts';

interface CommonOptions extends ConfigOptions {
  output: string;
  kind: string;
}

function kindOf(value: string): BackupKind {
  if (!(backupKinds as readonly string[]).includes(value))
    throw new WatchkeeperError('usage', `--kind: expected one of ${backupKinds.join(', ')}, found "${value}"`);
  return value as BackupKind;
}

function common(command: Command): Command {
  return withConfigOptions(command)
    .option('--kind <kind>', `backup kind: ${backupKinds.join(' or ')}`, 'etcd')
    .option('-o, --output <format>', 'table or json', 'table');
}

/** `watchkeeper backups list|describe|verify|prune`. */
export function backupsCommand(): Command {
  const backups = new Command('backups').description(
    'list, describe, verify, prune the backups in storage; show and diff API backups',
  );

  backups.addCommand(
    common(new Command('list'))
      .description('list the backups in storage (those whose manifest exists), oldest first')
      .option('--name <name>', 'only backups of this name')
      .addHelpText(
        'after',
        '\nExamples:\n  watchkeeper backups list\n  watchkeeper backups list --name etcd-hourly -o json',
      )
      .action(async (options: CommonOptions & { name?: string }) => {
        const format = outputFormat(options.output);
        const config = await configFromOptions(options);
        await withBackupContext(config, async (ctx) => {
          const entries = (await listBackups(ctx.storage, ctx.root, kindOf(options.kind))).filter(
            (e) => options.name === undefined || e.name === options.name,
          );
          process.stdout.write(
            format === 'json' ? `${JSON.stringify(backupListJson(entries), null, 2)}\n` : formatBackupList(entries),
          );
        });
      }),
  );

  backups.addCommand(
    common(new Command('describe'))
      .description("print a backup's manifest: member, revision, sizes, hashes, encryption")
      .argument('<backup>', 'backup id, or latest')
      .option('--name <name>', 'with latest: the latest backup of this name')
      .action(async (id: string, options: CommonOptions & { name?: string }) => {
        const format = outputFormat(options.output);
        const config = await configFromOptions(options);
        await withBackupContext(config, async (ctx) => {
          const kind = kindOf(options.kind);
          const entry = await resolveBackup(ctx.storage, ctx.root, kind, id, options.name, { key: ctx.key });
          // Shown even when not authenticated (the Format line says so); a manifest that fails its MAC is refused.
          const manifest = await readManifest(ctx.storage, ctx.root, kind, entry.id, {
            key: ctx.key,
            allowUnauthenticated: true,
          });
          const text = kind === 'api' ? formatApiManifest(manifest) : formatManifest(manifest);
          process.stdout.write(format === 'json' ? `${JSON.stringify(manifest, null, 2)}\n` : text);
        });
      }),
  );

  backups.addCommand(
    common(new Command('verify'))
      .description(
        'download a backup and check every hash; with etcd binaries, restore it into a temporary data dir and count its keys',
      )
      .argument('<backup>', 'backup id, or latest')
      .option('--name <name>', 'with latest: the latest backup of this name')
      .option('--no-restore-test', 'only check hashes; do not restore into a temporary data dir')
      .option('--work-dir <dir>', 'where the temporary snapshot and data dir go (default: the system temp dir)')
      .option(
        '--allow-unauthenticated',
        'with a key configured, still verify a backup whose manifest is not authenticated (watchkeeper 0.1)',
      )
      .addHelpText(
        'after',
        `
Examples:
  watchkeeper backups verify latest
  watchkeeper backups verify 20260425T101500Z-etcd-hourly-1a2b -o json
Exit codes: 0 intact, 1 corrupted, missing or not restorable, 2 bad usage or configuration.`,
      )
      .action(
        async (
          id: string,
          options: CommonOptions & {
            name?: string;
            restoreTest: boolean;
            workDir?: string;
            allowUnauthenticated?: boolean;
          },
        ) => {
          const format = outputFormat(options.output);
          const config = await configFromOptions(options);
          const ctx = await backupContext(config);
          const progress = byteProgress('verify');
          // Interrupted, the verification removes its decrypted snapshot and temporary data dir before exiting.
          try {
            await withInterrupt(async (signal) => {
              const kind = kindOf(options.kind);
              const entry = await resolveBackup(ctx.storage, ctx.root, kind, id, options.name, { key: ctx.key });
              const result = await verifyBackup({
                storage: ctx.storage,
                root: ctx.root,
                kind,
                id: entry.id,
                key: ctx.key,
                allowUnauthenticated: options.allowUnauthenticated === true,
                restoreTest: options.restoreTest ? 'auto' : 'never',
                signal,
                binDir: config.backup.tools.binDir,
                workDir: options.workDir,
                logger: commandLogger(config),
                onProgress: (_file, bytes, total) => progress.update(bytes, total),
              });
              progress.stop();
              process.stdout.write(
                format === 'json' ? `${JSON.stringify(verifyJson(result), null, 2)}\n` : formatVerify(result),
              );
            });
          } finally {
            progress.stop();
            ctx.storage.close?.();
          }
        },
      ),
  );

  backups.addCommand(
    common(new Command('prune'))
      .description("apply a retention policy: the schedule's retention for --name, or the --keep-* flags")
      .requiredOption('--name <name>', 'backups of this name (a schedule name)')
      .option('--dry-run', 'show what would be deleted; delete nothing')
      .option('--keep-last <n>', 'keep the newest n backups')
      .option('--keep-hourly <n>', 'keep the newest backup of each of the last n hours')
      .option('--keep-daily <n>', 'keep the newest backup of each of the last n days')
      .option('--keep-weekly <n>', 'keep the newest backup of each of the last n ISO weeks')
      .option('--keep-monthly <n>', 'keep the newest backup of each of the last n months')
      .option('--keep-yearly <n>', 'keep the newest backup of each of the last n years')
      .option('--keep-within <duration>', 'keep every backup within this duration of the newest, e.g. 7d')
      .addHelpText(
        'after',
        `
Examples:
  watchkeeper backups prune --name etcd-hourly --dry-run
  watchkeeper backups prune --name manual --keep-last 3 --keep-daily 7
The newest backup is never deleted; a policy that keeps nothing is refused. Backups dated in the future, and with
a key configured those whose manifest it does not authenticate, are neither counted nor deleted (listed as untrusted).`,
      )
      .action(
        async (
          options: CommonOptions & {
            name: string;
            dryRun?: boolean;
            keepLast?: string;
            keepHourly?: string;
            keepDaily?: string;
            keepWeekly?: string;
            keepMonthly?: string;
            keepYearly?: string;
            keepWithin?: string;
          },
        ) => {
          const format = outputFormat(options.output);
          const config = await configFromOptions(options);
          const flags: RetentionPolicy = {
            keepLast: intFlag('--keep-last', options.keepLast),
            keepHourly: intFlag('--keep-hourly', options.keepHourly),
            keepDaily: intFlag('--keep-daily', options.keepDaily),
            keepWeekly: intFlag('--keep-weekly', options.keepWeekly),
            keepMonthly: intFlag('--keep-monthly', options.keepMonthly),
            keepYearly: intFlag('--keep-yearly', options.keepYearly),
            keepWithin: options.keepWithin,
          };
          if (flags.keepWithin !== undefined && !/^(\d+[ywmdh])+$/.test(flags.keepWithin)) {
            throw new WatchkeeperError(
              'usage',
              `--keep-within: expected a duration such as 36h, 7d or 1y6m, found "${flags.keepWithin}"`,
            );
          }
          const fromFlags = Object.values(flags).some((v) => v !== undefined);
          const policy = fromFlags ? flags : config.backup.schedules.find((s) => s.name === options.name)?.retention;
          if (!policy) {
            throw new WatchkeeperError(
              'usage',
              `no retention for "${options.name}": give --keep-* flags or configure backup.schedules[].retention for that name`,
            );
          }
          await withBackupContext(config, async (ctx) => {
            const result = await pruneBackups({
              storage: ctx.storage,
              root: ctx.root,
              kind: kindOf(options.kind),
              name: options.name,
              policy,
              dryRun: options.dryRun === true,
              logger: commandLogger(config),
              key: ctx.key,
            });
            process.stdout.write(
              format === 'json'
                ? `${JSON.stringify(pruneJson(result, options.dryRun === true), null, 2)}\n`
                : formatPrune(result, options.dryRun === true),
            );
          });
        },
      ),
  );
  return backups.addCommand(backupsShowCommand()).addCommand(backupsDiffCommand());
}
