import { Command } from 'commander';
import { buildInfo } from '../../core/version.ts';

/** `watchkeeper version`: prints the version, Node version and platform. */
export function versionCommand(): Command {
  return new Command('version')
    .description('print version information')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', '\nExample:\n  watchkeeper version -o json')
    .action((options: { output: string }) => {
      const info = {
        version: buildInfo.version,
        node: process.version,
        platform: `${process.platform}/${process.arch}`,
      };
      process.stdout.write(
        options.output === 'json'
          ? `${JSON.stringify(info)}\n`
          : `watchkeeper ${info.version} (node ${info.node}, ${info.platform})\n`,
      );
    });
}
