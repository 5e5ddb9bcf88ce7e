// watchkeeper's streamed etcd backup with nothing else loaded: the library call that
// `watchkeeper backup etcd` makes, without the CLI's other commands. Run as its own process so
// its peak memory is the pipeline's. Usage: node streamed-backup.ts <config.json>
// First, as in the CLI's backup commands: V8 settings that must precede the heavy imports.
import '../../backup/runtime-tuning.ts';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { backupContext } from '../../backup/context.ts';
import { runEtcdBackup } from '../../backup/etcd/backup.ts';
import { validateConfig } from '../../core/config/load.ts';

const config = validateConfig(JSON.parse(readFileSync(process.argv[2]!, 'utf8')), process.argv[2]!);
const ctx = await backupContext(config);
const manifest = await runEtcdBackup({
  storage: ctx.storage,
  root: ctx.root,
  name: 'bench',
  etcd: config.backup.etcd,
  encryptionKey: ctx.encryptionKey,
  logger: pino({ level: 'warn' }),
});
ctx.storage.close?.();
process.stdout.write(`${JSON.stringify(manifest)}\n`);
