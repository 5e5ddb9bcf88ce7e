import { Command } from 'commander';
import { WatchkeeperError } from '../../core/errors.ts';
import type { PreviewFormat } from '../../collectors/logs/preview.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';

const formats: PreviewFormat[] = ['auto', 'cri', 'docker', 'klog', 'audit'];

/** `watchkeeper logs tail PATH`: prints what the agent would ship for a file. */
export function logsCommand(): Command {
  const logs = new Command('logs').description('debug the log shipper');
  const tail = withConfigOptions(new Command('tail'))
    .description(
      'show the documents the agent would ship for a log file (parsers, enrichment from the path, redaction)',
    )
    .argument('<path>', 'log file to read from its beginning')
    .option('-f, --format <format>', `line format: ${formats.join(', ')}`, 'auto')
    .option('--component <name>', 'component name for klog files', 'component')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper logs tail /var/log/pods/default_web-0_1234/nginx/0.log
  watchkeeper logs tail /var/log/kube-apiserver.log --format klog --component kube-apiserver
  watchkeeper logs tail /var/log/kubernetes/audit/audit.log -c watchkeeper.yaml | jq .doc.verb
Each output line is {"_index", "_id", "doc"}; parse problems are summed up on stderr.
Exit codes: 0 read, 1 unreadable file, 2 bad usage or configuration.`,
    )
    .action(async (path: string, options: ConfigOptions & { format: string; component: string }) => {
      if (!formats.includes(options.format as PreviewFormat)) {
        throw new WatchkeeperError(
          'usage',
          `--format: expected one of ${formats.join(', ')}, found "${options.format}"`,
        );
      }
      const config = await configFromOptions(options);
      let errors: Record<string, number>;
      const { previewFile } = await import('../../collectors/logs/preview.ts');
      try {
        errors = await previewFile(path, {
          format: options.format as PreviewFormat,
          component: options.component,
          logs: config.logs,
          write: (line) => process.stdout.write(`${line}\n`),
        });
      } catch (error) {
        throw new WatchkeeperError('failed', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
      }
      const problems = Object.entries(errors);
      if (problems.length > 0) process.stderr.write(`problems: ${problems.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    });
  return logs.addCommand(tail);
}
