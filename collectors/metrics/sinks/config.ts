import { z } from 'zod';

/**
 * A URL without credentials in it: they belong in the auth fields, which are never logged. The issue
 * carries no input, so the config error does not echo the URL and its password back.
 */
const outputUrl = z
  .string()
  .url()
  .superRefine((value, ctx) => {
    const url = new URL(value);
    if (url.username !== '' || url.password !== '')
      ctx.addIssue({ code: 'custom', message: 'put credentials in the auth fields, not in the URL', input: undefined });
  })
  .refine((value) => ['http:', 'https:'].includes(new URL(value).protocol), { message: 'an http:// or https:// URL' });

/** Backoff of one request that failed with a retryable error (connection, timeout, 429, 5xx). */
const retrySettings = z
  .strictObject({
    attempts: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe(
        'Attempts of one request in all; after the last, its samples are dropped and counted (retries_exhausted).',
      ),
    initialBackoffMs: z
      .number()
      .int()
      .min(1)
      .default(500)
      .describe('Delay before the second attempt; doubles (with jitter) after each failure.'),
    maxBackoffMs: z
      .number()
      .int()
      .min(1)
      .default(30_000)
      .describe('Upper bound of one delay, a Retry-After answer included.'),
  })
  .prefault({});

/** TLS towards an output. */
const tlsSettings = z
  .strictObject({
    caFile: z
      .string()
      .min(1)
      .optional()
      .describe('CA bundle (PEM) that verifies the server certificate; default: the system CAs.'),
    certFile: z.string().min(1).optional().describe('Client certificate (PEM) for mutual TLS.'),
    keyFile: z.string().min(1).optional().describe('Key of the client certificate (PEM).'),
    insecureSkipVerify: z.boolean().default(false).describe('Accept any server certificate (testing only).'),
  })
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
    message: 'certFile and keyFile must be given together',
  })
  .prefault({});

/** How much is held and how it is cut into requests. */
const queueFields = {
  // A queued sample is a slot in its batch's three columns (types.ts, SampleColumns): about 30 bytes of heap
  // while its series is still stored (the key string is the store's), plus the key (about 130 bytes for pod-like
  // labels) once the series is gone. Before the columns it kept a Sample and its labels alive: about 340 bytes.
  queueCapacity: z
    .number()
    .int()
    .min(1)
    .max(100_000_000)
    .default(200_000)
    .describe(
      'Samples waiting to be sent at most (about 30 bytes of memory each, up to about 160 for series no longer scraped); when full the oldest are dropped and counted (queue_full).' +
        ' One request in flight comes on top.',
    ),
  flushIntervalMs: z
    .number()
    .int()
    .min(1)
    .max(600_000)
    .default(1000)
    .describe(
      'A request is sent when this long has passed since the oldest waiting sample arrived, or earlier when a request is full.',
    ),
  timeoutSeconds: z.number().positive().max(600).default(30).describe('Bound of one request.'),
  retry: retrySettings,
  tls: tlsSettings,
};

/** The InfluxDB output (v2 write API; InfluxDB 1.8+ and 2.x). */
export const influxdbOutputSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Write every scraped sample to InfluxDB.'),
    url: outputUrl.default('http://localhost:8086').describe('InfluxDB base URL; samples go to <url>/api/v2/write.'),
    token: z.string().min(1).optional().describe('API token; for InfluxDB 1.8 "user:password". Prefer tokenFile.'),
    tokenFile: z
      .string()
      .min(1)
      .optional()
      .describe('File holding the token (trailing newline ignored); re-read when it changes.'),
    org: z.string().default('').describe('Organization (InfluxDB 2.x); InfluxDB 1.8 ignores it.'),
    bucket: z
      .string()
      .min(1)
      .default('watchkeeper/autogen')
      .describe('Bucket; for InfluxDB 1.8 "database/retention-policy".'),
    batchSize: z.number().int().min(1).max(1_000_000).default(5000).describe('Samples in one write request at most.'),
    ...queueFields,
  })
  .refine((o) => !(o.token !== undefined && o.tokenFile !== undefined), { message: 'token and tokenFile: choose one' })
  .refine((o) => !o.enabled || o.token !== undefined || o.tokenFile !== undefined, {
    message: 'an enabled InfluxDB output needs token or tokenFile',
  });

/** HTTP basic authentication towards a remote_write receiver. */
const basicAuth = z
  .strictObject({
    username: z.string().min(1).describe('User name.'),
    password: z.string().min(1).optional().describe('Password. Prefer passwordFile.'),
    passwordFile: z
      .string()
      .min(1)
      .optional()
      .describe('File holding the password (trailing newline ignored); re-read when it changes.'),
  })
  .refine((b) => (b.password === undefined) !== (b.passwordFile === undefined), {
    message: 'give exactly one of password and passwordFile',
  });

/** One Prometheus remote_write 1.0 receiver (Prometheus, VictoriaMetrics, Mimir, Thanos receive...). */
export const remoteWriteOutputSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_.:-]+$/, 'letters, digits and _ . : -')
      .optional()
      .describe('Name in logs and in the `output` label of the sink metrics; default remote_write:<host:port of url>.'),
    url: outputUrl.describe('Receiver URL, e.g. http://victoria-metrics:8428/api/v1/write.'),
    bearerToken: z.string().min(1).optional().describe('Bearer token. Prefer bearerTokenFile.'),
    bearerTokenFile: z.string().min(1).optional().describe('File holding a bearer token; re-read when it changes.'),
    basicAuth: basicAuth.optional().describe('HTTP basic authentication.'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name'), z.string())
      .default({})
      .refine((h) => Object.keys(h).every((name) => name.toLowerCase() !== 'authorization'), {
        message:
          'set credentials with bearerToken(File) or basicAuth, not as a header (headers are shown by config check)',
      })
      .describe('Extra request headers, e.g. X-Scope-OrgID for Mimir; not for credentials.'),
    maxSamplesPerRequest: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(5000)
      .describe('Samples in one WriteRequest at most.'),
    ...queueFields,
  })
  .refine((o) => [o.bearerToken, o.bearerTokenFile, o.basicAuth].filter((x) => x !== undefined).length <= 1, {
    message: 'bearerToken, bearerTokenFile and basicAuth are ways to authenticate: choose one',
  });

/** Where the collectors send what they scrape, besides their own /metrics exposition. */
export const sinksSection = z
  .strictObject({
    influxdb: influxdbOutputSchema.prefault({}).describe('The InfluxDB output (off unless enabled).'),
    remoteWrite: z
      .array(remoteWriteOutputSchema)
      .default([])
      .describe('Prometheus remote_write receivers; each gets every sample.'),
  })
  .refine(
    (s) => {
      const names = s.remoteWrite.map(remoteWriteOutputName);
      return new Set(names).size === names.length;
    },
    { message: 'remote_write outputs need distinct names (set `name` when two share a host)', path: ['remoteWrite'] },
  );

/** The validated InfluxDB output settings. */
export type InfluxdbOutputConfig = z.infer<typeof influxdbOutputSchema>;
/** The validated settings of one remote_write output. */
export type RemoteWriteOutputConfig = z.infer<typeof remoteWriteOutputSchema>;
/** The validated outputs section. */
export type SinksConfig = z.infer<typeof sinksSection>;
/** Queue, batching, timeout and retry settings shared by every output. */
export type QueueSettings = Pick<
  InfluxdbOutputConfig,
  'queueCapacity' | 'flushIntervalMs' | 'timeoutSeconds' | 'retry'
>;
/** TLS settings of an output. */
export type OutputTlsConfig = InfluxdbOutputConfig['tls'];

/** The name of a remote_write output: its `name`, else remote_write:<host:port>. */
export function remoteWriteOutputName(output: Pick<RemoteWriteOutputConfig, 'name' | 'url'>): string {
  return output.name ?? `remote_write:${new URL(output.url).host}`;
}
