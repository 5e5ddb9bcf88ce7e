import { once } from 'node:events';
import { Command } from 'commander';
import { WatchkeeperError } from '../../core/errors.ts';
import { ScrapeClient } from '../../collectors/metrics/scrape/client.ts';
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
    .argument('<url>', 'the target\'s metrics URL, e.g. http://127.0.0.1:9100/metrics')
    .option('--format <format>', 'auto (negotiate as the collectors do), text or openmetrics (ask for that format only)', 'auto')
    .option('-o, --output <output>', `output: ${outputs.join(', ')}`, 'text')
    .option('--timeout <seconds>', 'give up after this many seconds', '10')
    .option('--bearer-token-file <file>', 'send the token in this file (e.g. a service-account token)')
    .option('--ca-file <file>', 'CA bundle (PEM) that verifies the target\'s certificate')
    .option('--cert-file <file>', 'client certificate (PEM), with --key-file (mTLS, e.g. etcd)')
    .option('--key-file <file>', 'key of the client certificate (PEM)')
    .option('--server-name <name>', 'name expected in the target\'s certificate')
    .option('--insecure-skip-tls-verify', 'accept any server certificate')
    .option('--basic-auth-user <name>', 'basic authentication user, with --basic-auth-password-file')
    .option('--basic-auth-password-file <file>', 'file holding the basic authentication password')
    .option('--body-size-limit <bytes>', 'fail when the body is larger than this', String(64 * 1024 * 1024))
    .addHelpText('after', `
Examples:
  watchkeeper metrics scrape http://127.0.0.1:9100/metrics -o json | jq -r .name | sort | uniq -c
  watchkeeper metrics scrape https://127.0.0.1:6443/metrics --ca-file ca.crt \\
      --bearer-token-file /var/run/secrets/kubernetes.io/serviceaccount/token
  watchkeeper metrics scrape https://127.0.0.1:2379/metrics --ca-file etcd-ca.crt --cert-file client.crt --key-file client.key
  watchkeeper metrics scrape https://127.0.0.1:10259/metrics --insecure-skip-tls-verify --format openmetrics

-o json prints one object per sample, as \`metrics parse\` does: {"name","labels":{...},"value","timestampMs"}.
Exit codes: 0 scraped and parsed, 1 the target failed (connection, TLS, HTTP status, timeout, body too
large, malformed body: the reason on stderr), 2 bad usage.`)
    .action(async (rawUrl: string, options: ScrapeOptions) => {
      const format = oneOf(options.format, formats, '--format');
      const output = oneOf(options.output, outputs, '-o/--output');
      const url = parseUrl(rawUrl);
      const timeoutSeconds = positiveNumber(options.timeout, '--timeout');
      const bodySizeLimitBytes = positiveNumber(options.bodySizeLimit, '--body-size-limit');
      if ((options.certFile === undefined) !== (options.keyFile === undefined)) {
        throw new WatchkeeperError('usage', '--cert-file and --key-file must be given together');
      }
      if (options.insecureSkipTlsVerify === true && options.caFile !== undefined) {
        throw new WatchkeeperError('usage', '--insecure-skip-tls-verify and --ca-file contradict each other: choose one');
      }
      if ((options.basicAuthUser === undefined) !== (options.basicAuthPasswordFile === undefined)) {
        throw new WatchkeeperError('usage', '--basic-auth-user and --basic-auth-password-file must be given together');
      }
      if (options.basicAuthUser !== undefined && options.bearerTokenFile !== undefined) {
        throw new WatchkeeperError('usage', '--bearer-token-file and --basic-auth-user are two ways to authenticate: choose one');
      }
      const client = new ScrapeClient({
        bodySizeLimitBytes,
        tls: {
          insecureSkipVerify: options.insecureSkipTlsVerify === true,
          ...(options.caFile ? { caFile: options.caFile } : {}),
          ...(options.certFile ? { certFile: options.certFile } : {}),
          ...(options.keyFile ? { keyFile: options.keyFile } : {}),
          ...(options.serverName ? { serverName: options.serverName } : {}),
        },
        ...(options.bearerTokenFile ? { bearerTokenFile: options.bearerTokenFile } : {}),
        ...(options.basicAuthUser && options.basicAuthPasswordFile
          ? { basicAuth: { username: options.basicAuthUser, passwordFile: options.basicAuthPasswordFile } } : {}),
        ...(format === 'auto' ? {} : { accept: acceptOf[format] }),
      });
      const signal = AbortSignal.timeout(timeoutSeconds * 1000);
      try {
        const response = await client.get(url, signal);
        // A forced --format is asked for in the Accept header; what the target answered wins when it says.
        const answered = formatFromContentType(response.contentType);
        const parseAs = answered ?? (format === 'auto' ? undefined : format);
        if (format !== 'auto' && answered !== undefined && answered !== format) {
          process.stderr.write(`${url.host}: asked for ${format}, answered ${answered} (Content-Type "${response.contentType}"); parsing it as ${answered}\n`);
        }
        if (parseAs === undefined) {
          throw new WatchkeeperError('failed', `${url.host}: answered Content-Type "${response.contentType}", not an exposition format (try --format text)`);
        }
        const summary = await previewExposition(response.body, { format: parseAs, output, write: writeStdout });
        if (output === 'text') process.stderr.write(`${url.href}: ${summary.samples} samples in ${summary.families} families (${summary.format} format)\n`);
      } catch (error) {
        if (error instanceof WatchkeeperError) throw error;
        if (error instanceof ScrapeError) throw new WatchkeeperError('failed', `scrape failed (${error.reason}): ${error.message}`, { cause: error });
        if (error instanceof ExpositionParseError) throw new WatchkeeperError('failed', `${url.host}: malformed body: ${error.message}`, { cause: error });
        if (signal.aborted) throw new WatchkeeperError('failed', `scrape failed (timeout): ${url.host}: no complete answer within ${timeoutSeconds} s`);
        throw new WatchkeeperError('failed', `scrape failed: ${url.host}: ${(error as Error).message}`, { cause: error });
      } finally {
        client.close();
      }
    });
}

function parseUrl(text: string): URL {
  let url: URL;
  try { url = new URL(text); } catch { throw new WatchkeeperError('usage', `"${text}" is not a URL such as http://127.0.0.1:9100/metrics`); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WatchkeeperError('usage', `"${text}": scheme must be http or https`);
  if (url.username || url.password) throw new WatchkeeperError('usage', `"${url.host}": put credentials in --basic-auth-user/--basic-auth-password-file, not in the URL`);
  return url;
}

function positiveNumber(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new WatchkeeperError('usage', `${option}: expected a positive number, found "${text}"`);
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
