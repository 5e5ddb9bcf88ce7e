// First: V8 settings that must precede the heavy imports (see backup/runtime-tuning.ts).
import '../../backup/runtime-tuning.ts';
import { Command } from 'commander';
import { commandLogger, outputFormat } from '../../backup/cli-support.ts';
import { backupContext } from '../../backup/context.ts';
import { runEtcdBackup } from '../../backup/etcd/backup.ts';
import { byteProgress } from '../../backup/progress.ts';
import { pruneBackups } from '../../backup/prune.ts';
import { formatManifest } from '../../backup/report.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';
import { backupApiCommand } from './backup-api.ts';

interface EtcdOptions extends ConfigOptions {
  name: string;
  output: string;
  prune?: boolean;
}

/** `watchkeeper backup`: the scheduled backup service; `watchkeeper backup etcd`: one snapshot now. */
export function backupCommand(): Command {
  const backup = withConfigOptions(new Command('backup'))
    .description(
      'run the configured backup schedules (leader-elected on a Lease; serves metrics), or one backup now (backup etcd, backup api)',
    )
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper backup -c watchkeeper.yaml         run backup.schedules until SIGTERM; metrics on :9464/metrics
  watchkeeper backup etcd -c watchkeeper.yaml    take one etcd snapshot now
  watchkeeper backup api -l app=payments         back up the API objects labelled app=payments now
Exit codes: 0 success, 1 failure, 2 bad usage or configuration.`,
    )
    .action(async (options: ConfigOptions) => {
      const config = await configFromOptions(options);
      // Loaded here: `backup etcd` needs neither the Lease client nor the metrics server (prom-client);
      // ~6 MiB and 0.1 s it does not pay.
      const [{ runService }, { startBackupDaemon }] = await Promise.all([
        import('../../core/service.ts'),
        import('../../backup/daemon.ts'),
      ]);
      await runService({
        mode: 'backup',
        config,
        start: async (ctx) => {
          await startBackupDaemon(ctx);
        },
      });
    });

  const etcd = withConfigOptions(new Command('etcd'))
    .description('take one etcd snapshot now and store it (streamed: etcd -> sha256 -> compress -> encrypt -> storage)')
    .option(
      '--name <name>',
      'backup name recorded in the id (a schedule name applies its retention with --prune)',
      'manual',
    )
    .option('--prune', 'apply the retention of the schedule with the same --name afterwards')
    .option('-o, --output <format>', 'table or json', 'table')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper backup etcd -c watchkeeper.yaml
  watchkeeper backup etcd --set backup.etcd.endpoints='[https://10.0.0.5:2379]' \\
    --set backup.etcd.caFile=/etc/kubernetes/pki/etcd/ca.crt \\
    --set backup.etcd.certFile=/etc/kubernetes/pki/etcd/healthcheck-client.crt \\
    --set backup.etcd.keyFile=/etc/kubernetes/pki/etcd/healthcheck-client.key -o json
Exit codes: 0 stored, 1 failed (nothing is left that lists as a backup), 2 bad usage or configuration.`,
    )
    .action(async (local: EtcdOptions, command: Command) => {
      // -c/--set may be given before "etcd" too (they then belong to "backup").
      const options = { ...command.optsWithGlobals(), ...local };
      const format = outputFormat(options.output);
      const config = await configFromOptions(options);
      const logger = commandLogger(config);
      const ctx = await backupContext(config);
      const progress = byteProgress('snapshot');
      try {
        const manifest = await runEtcdBackup({
          storage: ctx.storage,
          root: ctx.root,
          name: options.name,
          etcd: config.backup.etcd,
          encryptionKey: ctx.encryptionKey,
          logger,
          onProgress: (phase, bytes, total) => {
            if (phase === 'snapshot') progress.update(bytes, total);
          },
        });
        progress.stop();
        const schedule = config.backup.schedules.find((s) => s.name === options.name);
        if (options.prune === true && schedule?.retention) {
          // With a key, planted or unauthenticated backups neither count for retention nor get deleted by it.
          await pruneBackups({
            storage: ctx.storage,
            root: ctx.root,
            kind: 'etcd',
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
            : `Stored in ${ctx.storage.location}\n${formatManifest(manifest)}`,
        );
      } finally {
        progress.stop();
        ctx.storage.close?.();
      }
    });
  return backup.addCommand(etcd).addCommand(backupApiCommand());
}
