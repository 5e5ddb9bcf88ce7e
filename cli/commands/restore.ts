// First: V8 settings that must precede the heavy imports (see backup/runtime-tuning.ts).
import '../../backup/runtime-tuning.ts';
import { Command } from 'commander';
import { commandLogger, intFlag, outputFormat } from '../../backup/cli-support.ts';
import { backupContext } from '../../backup/context.ts';
import { byteProgress } from '../../backup/progress.ts';
import { restoreEtcd } from '../../backup/restore/etcd.ts';
import { withInterrupt } from '../interrupt.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';
import { restoreApiCommand } from './restore-api.ts';

interface RestoreOptions extends ConfigOptions {
  dataDir: string;
  name: string;
  initialCluster?: string;
  initialAdvertisePeerUrls?: string;
  initialClusterToken: string;
  bumpRevision?: string;
  filesDir?: string;
  backupName?: string;
  allowUnauthenticated?: boolean;
  output: string;
}

/** `watchkeeper restore etcd <id|latest>`: verified download, then etcdutl snapshot restore. */
export function restoreCommand(): Command {
  const restore = new Command('restore').description(
    'restore a backup (restore etcd <id|latest>, restore api <id|latest>)',
  );
  restore.addCommand(
    withConfigOptions(new Command('etcd'))
      .description(
        'download an etcd backup, verify every hash, decrypt, decompress and run etcdutl snapshot restore into a new data dir',
      )
      .argument('<backup>', 'backup id, or latest')
      .requiredOption('--data-dir <dir>', 'new etcd data dir (must not exist or be empty)')
      .requiredOption('--name <name>', "this member's name (etcd --name)")
      .option(
        '--initial-cluster <list>',
        'name=peerURL,... of every member (default: <name>=<initial-advertise-peer-urls>)',
      )
      .option('--initial-advertise-peer-urls <urls>', "this member's peer URLs", 'http://localhost:2380')
      .option('--initial-cluster-token <token>', 'token of the new cluster', 'etcd-cluster')
      .option(
        '--bump-revision <n>',
        'raise the revision by n and mark it compacted, so that clients with watches relist (recommended: 1000000000)',
      )
      .option('--files-dir <dir>', 'also extract the backed-up control-plane files under this directory (new or empty)')
      .option('--backup-name <name>', 'with latest: the latest backup of this name')
      .option(
        '--allow-unauthenticated',
        'with a key configured, still restore a backup (given by id) whose manifest is not authenticated (watchkeeper 0.1)',
      )
      .option('-o, --output <format>', 'table or json', 'table')
      .addHelpText(
        'after',
        `
Examples:
  watchkeeper restore etcd latest --data-dir /var/lib/etcd-restored --name cp1 \\
    --initial-cluster cp1=https://10.0.0.11:2380 --initial-advertise-peer-urls https://10.0.0.11:2380
  watchkeeper restore etcd 20260425T101500Z-etcd-hourly-1a2b --data-dir /tmp/etcd --name default --files-dir /tmp/restored-files
With a backup key configured, only backups whose manifest the key authenticates are restored, and only encrypted
objects; without one, the restore says that the backup's origin cannot be verified. Ctrl-C (or SIGTERM) stops the
restore and removes everything it wrote, the decrypted snapshot included.
Exit codes: 0 restored, 1 failed or interrupted (nothing is left in --data-dir), 2 bad usage or configuration.`,
      )
      .action(async (id: string, options: RestoreOptions) => {
        const format = outputFormat(options.output);
        const config = await configFromOptions(options);
        const ctx = await backupContext(config);
        const download = byteProgress('download');
        // Ctrl-C must not leave the decrypted snapshot (every Secret of the cluster) on disk: abort, clean up, then exit.
        try {
          await withInterrupt(async (signal) => {
            const peerUrls = options.initialAdvertisePeerUrls ?? 'http://localhost:2380';
            const result = await restoreEtcd({
              storage: ctx.storage,
              root: ctx.root,
              backup: id,
              name: options.backupName,
              dataDir: options.dataDir,
              memberName: options.name,
              initialCluster: options.initialCluster ?? `${options.name}=${peerUrls}`,
              initialAdvertisePeerUrls: peerUrls,
              initialClusterToken: options.initialClusterToken,
              bumpRevision: intFlag('--bump-revision', options.bumpRevision),
              filesDir: options.filesDir,
              key: ctx.key,
              allowUnauthenticated: options.allowUnauthenticated === true,
              binDir: config.backup.tools.binDir,
              logger: commandLogger(config),
              signal,
              onProgress: (_phase, bytes, total) => download.update(bytes, total),
            });
            download.stop();
            for (const warning of result.warnings) process.stderr.write(`watchkeeper: warning: ${warning}\n`);
            process.stdout.write(
              format === 'json'
                ? `${JSON.stringify(
                    {
                      id: result.manifest.id,
                      dataDir: result.dataDir,
                      tool: result.tool,
                      filesWritten: result.filesWritten,
                      originVerified: result.originVerified,
                      warnings: result.warnings,
                      nextSteps: result.nextSteps.split('\n'),
                    },
                    null,
                    2,
                  )}\n`
                : `${result.nextSteps}\n`,
            );
          });
        } finally {
          download.stop();
          ctx.storage.close?.();
        }
      }),
  );
  return restore.addCommand(restoreApiCommand());
}
