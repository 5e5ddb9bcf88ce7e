import { once } from 'node:events';
import { Command } from 'commander';
import { WatchkeeperError } from '../../core/errors.ts';
import { ScrapeClient, type ScrapeClientOptions } from '../../collectors/metrics/scrape/client.ts';
import { formatFromContentType } from '../../collectors/metrics/scrape/parse/index.ts';
import { previewExposition } from '../../collectors/metrics/scrape/parse/preview.ts';
import { ScrapeError } from '../../collectors/metrics/scrape/scrape-error.ts';
import { ExpositionParseError } from '../../collectors/metrics/types.ts';

const formats = ['auto', 'text', 'openmetrics'] as const;
const outputs = ['text', 'json'] as const;

/** Accept header per --format: auto negotiates as the engine does. */
const acceptOf = {
  text: 'text/plain;version=0.0.4',
  openmetrics: 'application/openmetrics-text;version=1.0.0',
} as const;

interface ScrapeOptions {
  format: string;
  output: string;
  timeout: string;
  bearerTokenFile?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  insecureSkipTlsVerify?: boolean;
  basicAuthUser?: string;
  basicAuthPasswordFile?: string;
  bodySizeLimit: string;
}

/** `watchkeeper metrics scrape URL`: scrapes a live target as the collectors would and prints its samples. */
export function metricsScrapeCommand(): Command {
  return new Command('scrape')
    .description('scrape a live target as the collectors would and print its samples')
    .argument('<url>', "the target's metrics URL, e.g. http://127.0.0.1:9100/metrics")
    .option('--format <format>', 'auto (negotiate as the collectors do), text or openmetrics (ask for it only)', 'auto')
    .option('-o, --output <output>', `output: ${outputs.join(', ')}`, 'text')
    .option('--timeout <seconds>', 'give up after this many seconds', '10')
    .option('--bearer-token-file <file>', 'send the token in this file (e.g. a service-account token)')
    .option('--ca-file <file>', "CA bundle (PEM) that verifies the target's certificate")
    .option('--cert-file <file>', 'client certificate (PEM), with --key-file (mTLS, e.g. etcd)')
    .option('--key-file <file>', 'key of the client certificate (PEM)')
    .option('--server-name <name>', "name expected in the target's certificate")
    .option('--insecure-skip-tls-verify', 'accept any server certificate')
    .option('--basic-auth-user <name>', 'basic authentication user, with --basic-auth-password-file')
    .option('--basic-auth-password-file <file>', 'file holding the basic authentication password')
    .option('--body-size-limit <bytes>', 'fail when the body is larger than this', String(64 * 1024 * 1024))
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper metrics scrape http://127.0.0.1:9100/metrics -o json | jq -r .name | sort | uniq -c
  watchkeeper metrics scrape https://127.0.0.1:6443/metrics --ca-file ca.crt \\
      --bearer-token-file /var/run/secrets/kubernetes.io/serviceaccount/token
  watchkeeper metrics scrape https://127.0.0.1:2379/metrics --ca-file etcd-ca.crt \\
      --cert-file client.crt --key-file client.key
  watchkeeper metrics scrape https://127.0.0.1:10259/metrics --insecure-skip-tls-verify --format openmetrics

-o json prints one object per sample, as \`metrics parse\` does: {"name","labels":{...},"value","timestampMs"}.
Exit codes: 0 scraped and parsed, 1 the target failed (connection, TLS, HTTP status, timeout, body too
large, malformed body: the reason on stderr), 2 bad usage.`,
    )
    .action(async (rawUrl: string, options: ScrapeOptions) => {
      const format = oneOf(options.format, formats, '--format');
      const output = oneOf(options.output, outputs, '-o/--output');
      const url = parseUrl(rawUrl);
      const timeoutSeconds = positiveNumber(options.timeout, '--timeout');
      const client = new ScrapeClient(clientOptions(options, format));
      const signal = AbortSignal.timeout(timeoutSeconds * 1000);
      try {
        const response = await client.get(url, signal);
        // A forced --format is asked for in the Accept header; what the target answered wins when it says.
        const answered = formatFromContentType(response.contentType);
        const parseAs = answered ?? (format === 'auto' ? undefined : format);
        if (format !== 'auto' && answered !== undefined && answered !== format) {
          const contentType = response.contentType;
          process.stderr.write(
            `${url.host}: asked for ${format}, answered ${answered} ` +
              `(Content-Type "${contentType}"); parsing it as ${answered}\n`,
          );
        }
        if (parseAs === undefined) {
          throw new WatchkeeperError(
            'failed',
            `${url.host}: answered Content-Type "${response.contentType}", not an exposition format ` +
              '(try --format text)',
          );
        }
        const summary = await previewExposition(response.body, { format: parseAs, output, write: writeStdout });
        if (output === 'text') {
          const { samples, families } = summary;
          process.stderr.write(`${url.href}: ${samples} samples in ${families} families (${summary.format} format)\n`);
        }
      } catch (error) {
        throw scrapeFailure(error, url, signal.aborted ? timeoutSeconds : undefined);
      } finally {
        client.close();
      }
    });
}

/** The client settings the options ask for; throws a usage error naming contradicting options. */
function clientOptions(options: ScrapeOptions, format: (typeof formats)[number]): ScrapeClientOptions {
  const together = (a: unknown, b: unknown, names: string): void => {
    if ((a === undefined) !== (b === undefined)) throw new WatchkeeperError('usage', `${names} must be given together`);
  };
  together(options.certFile, options.keyFile, '--cert-file and --key-file');
  together(options.basicAuthUser, options.basicAuthPasswordFile, '--basic-auth-user and --basic-auth-password-file');
  if (options.insecureSkipTlsVerify === true && options.caFile !== undefined) {
    throw new WatchkeeperError('usage', '--insecure-skip-tls-verify and --ca-file contradict each other: choose one');
  }
  if (options.basicAuthUser !== undefined && options.bearerTokenFile !== undefined) {
    throw new WatchkeeperError(
      'usage',
      '--bearer-token-file and --basic-auth-user are two ways to authenticate: choose one',
    );
  }
  const { caFile, certFile, keyFile, serverName, bearerTokenFile, basicAuthUser, basicAuthPasswordFile } = options;
  return {
    bodySizeLimitBytes: positiveNumber(options.bodySizeLimit, '--body-size-limit'),
    tls: {
      insecureSkipVerify: options.insecureSkipTlsVerify === true,
      ...(caFile ? { caFile } : {}),
      ...(certFile ? { certFile } : {}),
      ...(keyFile ? { keyFile } : {}),
      ...(serverName ? { serverName } : {}),
    },
    ...(bearerTokenFile ? { bearerTokenFile } : {}),
    ...(basicAuthUser && basicAuthPasswordFile
      ? { basicAuth: { username: basicAuthUser, passwordFile: basicAuthPasswordFile } }
      : {}),
    ...(format === 'auto' ? {} : { accept: acceptOf[format] }),
  };
}

/** The CLI error for a failed scrape, naming the reason. */
function scrapeFailure(error: unknown, url: URL, timedOutAfterSeconds: number | undefined): WatchkeeperError {
  if (error instanceof WatchkeeperError) return error;
  const options = { cause: error };
  const failed = (message: string): WatchkeeperError => new WatchkeeperError('failed', message, options);
  if (error instanceof ScrapeError) return failed(`scrape failed (${error.reason}): ${error.message}`);
  if (error instanceof ExpositionParseError) return failed(`${url.host}: malformed body: ${error.message}`);
  if (timedOutAfterSeconds !== undefined) {
    return failed(`scrape failed (timeout): ${url.host}: no complete answer within ${timedOutAfterSeconds} s`);
  }
  return failed(`scrape failed: ${url.host}: ${(error as Error).message}`);
}

function parseUrl(text: string): URL {
  const usage = (message: string): WatchkeeperError => new WatchkeeperError('usage', message);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usage(`"${text}" is not a URL such as http://127.0.0.1:9100/metrics`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`"${text}": scheme must be http or https`);
  if (url.username || url.password) {
    throw usage(`"${url.host}": put credentials in --basic-auth-user/--basic-auth-password-file, not in the URL`);
  }
  return url;
}

function positiveNumber(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new WatchkeeperError('usage', `${option}: expected a positive number, found "${text}"`);
  }
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new WatchkeeperError('usage', `${option}: expected one of ${allowed.join(', ')}, found "${value}"`);
  }
  return value as T;
}

async function writeStdout(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}
