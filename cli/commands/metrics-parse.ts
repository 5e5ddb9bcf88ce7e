import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { Command } from 'commander';
import { WatchkeeperError } from '../../core/errors.ts';
import { ExpositionParseError } from '../../collectors/metrics/types.ts';
import { previewExposition } from '../../collectors/metrics/scrape/parse/preview.ts';

const formats = ['auto', 'text', 'openmetrics'] as const;
const outputs = ['text', 'json'] as const;

interface ParseOptions {
  format: string;
  output: string;
}

/** `watchkeeper metrics parse [FILE|-]`: prints one line per sample of an exposition body. */
export function metricsParseCommand(): Command {
  return new Command('parse')
    .description('parse a Prometheus text or OpenMetrics body and print its samples (streaming)')
    .argument('[file]', 'file to read, or - for standard input', '-')
    .option('--format <format>', `exposition format: ${formats.join(', ')}`, 'auto')
    .option('-o, --output <output>', `output: ${outputs.join(', ')}`, 'text')
    .addHelpText(
      'after',
      `
Examples:
  curl -s http://localhost:9100/metrics | watchkeeper metrics parse - -o json
  watchkeeper metrics parse body.txt --format openmetrics -o json | jq -r .name | sort | uniq -c
  watchkeeper metrics parse body.txt          text format lines: name{labels} value [timestampMs]

-o json prints one object per sample: {"name","labels":{...},"value","timestampMs"}; value is a number
or "NaN", "+Inf", "-Inf"; timestampMs is milliseconds (OpenMetrics seconds converted), or null.
--format auto: OpenMetrics when the input ends with "# EOF", or its first 64 KiB have a "# EOF" or
"# UNIT" line, an OpenMetrics-only type, or a counter "foo" with samples "foo_total"; else text.
Exit codes: 0 parsed, 1 unreadable input or malformed body (the line and reason on stderr, after the
samples of the lines before it), 2 bad usage.`,
    )
    .action(async (file: string, options: ParseOptions) => {
      const format = oneOf(options.format, formats, '--format');
      const output = oneOf(options.output, outputs, '-o/--output');
      const source = file === '-' ? 'stdin' : file;
      let input: AsyncIterable<Uint8Array>;
      let lastLine: string | undefined;
      if (file === '-') {
        input = process.stdin;
      } else {
        try {
          lastLine = await regularFileTail(file);
          input = createReadStream(file);
        } catch (error) {
          throw new WatchkeeperError('failed', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
        }
      }
      try {
        const summary = await previewExposition(input, { format, output, lastLine, write: writeStdout });
        if (output === 'text') {
          const { samples, families } = summary;
          process.stderr.write(`${source}: ${samples} samples in ${families} families (${summary.format} format)\n`);
        }
      } catch (error) {
        if (error instanceof ExpositionParseError) {
          throw new WatchkeeperError('failed', `${source}: ${error.message} (parsing stopped there)`, { cause: error });
        }
        throw new WatchkeeperError('failed', `cannot read ${source}: ${(error as Error).message}`, { cause: error });
      }
    });
}

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new WatchkeeperError('usage', `${option}: expected one of ${allowed.join(', ')}, found "${value}"`);
  }
  return value as T;
}

/** The last non-empty line of a regular file, read from its end (undefined for pipes and devices). */
async function regularFileTail(path: string): Promise<string | undefined> {
  const info = await stat(path);
  if (!info.isFile()) return undefined;
  const handle = await open(path, 'r');
  try {
    const length = Math.min(info.size, 256);
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, info.size - length);
    const lines = tail
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    return lines.at(-1) ?? '';
  } finally {
    await handle.close();
  }
}

async function writeStdout(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}
