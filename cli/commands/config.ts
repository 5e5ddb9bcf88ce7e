import { Command } from 'commander';
import { stringify } from 'yaml';
import { maskSecrets } from '../../core/config/mask.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';

/** `watchkeeper config check [FILE]`: validates a configuration and prints the effective result. */
export function configCommand(): Command {
  const config = new Command('config').description('work with the configuration file');
  const check = withConfigOptions(new Command('check'))
    .description('validate a configuration file and print the effective configuration (credentials masked)')
    .argument('[file]', 'configuration file (same as --config)')
    .option('-o, --output <format>', 'yaml or json', 'yaml')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper config check watchkeeper.yaml
  WATCHKEEPER_CFG__log__level=debug watchkeeper config check watchkeeper.yaml --set server.port=9500
Exit codes: 0 valid, 2 invalid (each problem is printed with its path).`,
    )
    .action(async (file: string | undefined, options: ConfigOptions & { output: string }) => {
      if (options.output !== 'yaml' && options.output !== 'json') {
        throw new WatchkeeperError('usage', `--output: expected yaml or json, found "${options.output}"`);
      }
      const effective = maskSecrets(await configFromOptions({ ...options, config: file ?? options.config }));
      process.stdout.write(
        options.output === 'json' ? `${JSON.stringify(effective, null, 2)}\n` : stringify(effective),
      );
    });
  return config.addCommand(check);
}
