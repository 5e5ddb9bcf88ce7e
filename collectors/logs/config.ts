import { z } from 'zod';

/** How a file source positions itself on a file it has never seen and that existed at start. */
const startAt = z.enum(['beginning', 'end']);

/** Container logs (/var/log/pods). */
const containersSource = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Tail container logs.'),
    paths: z
      .array(z.string().min(1))
      .default(['/var/log/pods/*/*/*.log'])
      .describe('Glob patterns of container log files (kubelet layout <ns>_<pod>_<uid>/<container>/<n>.log).'),
    format: z
      .enum(['auto', 'cri', 'docker'])
      .default('auto')
      .describe("Line format; 'auto' detects it per file from its first line."),
    startAt: startAt
      .default('end')
      .describe(
        'Where to start in files present at first start; files created later are always read from the beginning.',
      ),
    excludeNamespaces: z
      .array(z.string().min(1))
      .default([])
      .describe('Namespaces whose container logs are not shipped.'),
    excludeAnnotation: z
      .string()
      .min(1)
      .default('watchkeeper.io/exclude-logs')
      .describe('A pod with this annotation set to "true" is not shipped (needs the pod cache).'),
    excludePattern: z.string().min(1).optional().describe('Regular expression: messages matching it are dropped.'),
    parseJson: z.boolean().default(false).describe('Parse messages that are JSON objects into the `json` field.'),
    multilineStart: z
      .string()
      .min(1)
      .optional()
      .describe('Regular expression matching the first line of a message; other lines are joined to the previous one.'),
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Joined partial (P/F or 16 KiB docker) messages are cut at this size; cuts are counted.'),
  })
  .prefault({});

/** Control-plane component logs (klog). */
const componentSource = z.strictObject({
  name: z.string().min(1).describe('Component name, e.g. kube-apiserver, stored in `component`.'),
  paths: z.array(z.string().min(1)).min(1).describe("Glob patterns of the component's log files."),
  startAt: startAt.default('end').describe('Where to start in files present at first start.'),
});

/** API server audit log files. */
const auditFileSource = z
  .strictObject({
    paths: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Glob patterns of audit log files, e.g. /var/log/kubernetes/audit/audit*.log (rotated backups included).',
      ),
    startAt: startAt.default('beginning').describe('Where to start in files present at first start.'),
    maxLineBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(256 * 1024 * 1024)
      .default(16 * 1024 * 1024)
      .describe(
        'Longest audit line read whole (large RequestResponse events); a longer one is shipped as metadata only, and counted.',
      ),
  })
  .prefault({});

/** The audit webhook receiver. */
const auditWebhookSource = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("Accept audit EventList batches from the API server's webhook backend."),
    host: z.string().min(1).default('0.0.0.0').describe('Listen address.'),
    port: z.number().int().min(0).max(65535).default(9443).describe('Listen port (TLS); 0 picks a free one.'),
    certFile: z.string().min(1).optional().describe('Serving certificate (PEM).'),
    keyFile: z.string().min(1).optional().describe('Key of the serving certificate (PEM).'),
    clientCaFile: z
      .string()
      .min(1)
      .optional()
      .describe('CA of accepted client certificates; a verified client certificate authenticates.'),
    clientNames: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Accepted client certificates: CN or DNS/IP subject alternative name (the CA signs every kubelet too); required with clientCaFile.',
      ),
    token: z.string().min(1).optional().describe('Bearer token that authenticates (compared in constant time).'),
    maxBodyBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(256 * 1024 * 1024)
      .default(4 * 1024 * 1024)
      .describe(
        'Largest EventList accepted (413 beyond); raise it with --audit-webhook-batch-max-size at RequestResponse level.',
      ),
    maxConcurrentRequests: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(8)
      .describe('Requests handled at once; more are answered 429 with Retry-After, so the API server retries.'),
    maxQueueBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(256 * 1024 * 1024)
      .describe('Bound of the on-disk queue; when full, batches are refused with 503 so the API server retries.'),
  })
  .prefault({});

/** How audit events are cut down before shipping. */
const auditProcessing = z
  .strictObject({
    maxObjectBytes: z
      .number()
      .int()
      .min(0)
      .default(16 * 1024)
      .describe(
        'requestObject/responseObject larger than this (serialised) are replaced by a note with their size; 0 drops them always.',
      ),
    omitBodiesOf: z
      .array(z.string().min(1))
      .default(['secrets', 'serviceaccounts/token', 'tokenreviews', 'tokenrequests'])
      .describe(
        'Resources (or resource/subresource) whose request and response bodies are never shipped; add configmaps if they hold credentials.',
      ),
  })
  .prefault({});

/** File tailing behaviour. */
const tailSettings = z
  .strictObject({
    scanIntervalSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(5)
      .describe('Periodic rescan of the glob patterns (watching triggers scans in between).'),
    pollIntervalMs: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(250)
      .describe('How often a file at its end is checked for more data.'),
    readBufferBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(64 * 1024 * 1024)
      .default(256 * 1024)
      .describe('Size of one read.'),
    rotatedGraceSeconds: z
      .number()
      .min(0)
      .max(3600)
      .default(2)
      .describe('A renamed or deleted file is read for this long after its end before it is closed.'),
    fingerprintBytes: z
      .number()
      .int()
      .min(16)
      .max(4096)
      .default(256)
      .describe('Bytes of the first line that identify a file together with device and inode.'),
  })
  .prefault({});

/** Batching and backpressure. */
const batchSettings = z
  .strictObject({
    maxEvents: z.number().int().min(1).default(10_000).describe('Events in one batch (one _bulk request) at most.'),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .default(2 * 1024 * 1024)
      .describe('Bytes of one batch at most (approximately: one event may overshoot).'),
    maxDelayMs: z.number().int().min(1).default(1000).describe('A partly filled batch is sent after this long.'),
    concurrency: z.number().int().min(1).max(64).default(2).describe('Batches in flight to the sink at once.'),
    maxBufferedBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(8 * 1024 * 1024)
      .describe('Bytes held in batches not yet acknowledged; reading pauses above it (files are the buffer).'),
  })
  .prefault({});

/** A redaction rule applied to messages. */
const redactRule = z.strictObject({
  pattern: z.string().min(1).describe('Regular expression (global) to find.'),
  replacement: z.string().default('[redacted]').describe('What replaces each match; $1 etc. refer to groups.'),
});

/** The Elasticsearch sink. */
const elasticsearchSink = z
  .strictObject({
    url: z.string().url().default('http://localhost:9200').describe('Elasticsearch URL.'),
    username: z.string().min(1).optional().describe('Basic auth user.'),
    password: z.string().min(1).optional().describe('Basic auth password.'),
    apiKey: z.string().min(1).optional().describe('API key (base64 id:key), instead of user and password.'),
    caFile: z.string().min(1).optional().describe('CA of the server certificate.'),
    indexPrefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a lowercase index name prefix')
      .default('watchkeeper')
      .describe(
        'Indices are <prefix>-logs-YYYY.MM.DD and <prefix>-audit-YYYY.MM.DD (or data streams <prefix>-logs, <prefix>-audit).',
      ),
    mode: z
      .enum(['daily', 'datastream'])
      .default('daily')
      .describe('Index per day, or data streams (needs the data-streams feature).'),
    installTemplate: z.boolean().default(true).describe('Install the index templates at start.'),
    requestTimeoutSeconds: z.number().positive().max(600).default(30).describe('Bound of one _bulk request.'),
    initialBackoffMs: z
      .number()
      .int()
      .min(1)
      .default(200)
      .describe('First retry delay; doubles (with jitter) up to maxBackoffMs.'),
    maxBackoffMs: z.number().int().min(1).default(30_000).describe('Upper bound of one retry delay.'),
  })
  .prefault({});

/** The local directory sink. */
const directorySink = z
  .strictObject({
    path: z.string().min(1).default('/var/lib/watchkeeper/logs/out').describe('Directory of the NDJSON files.'),
    maxFileBytes: z
      .number()
      .int()
      .min(1024)
      .default(128 * 1024 * 1024)
      .describe('A file is rotated at this size.'),
    maxFiles: z.number().int().min(1).default(10).describe('Rotated files kept; older ones are deleted.'),
  })
  .prefault({});

/** Where events that can never be indexed go. */
const deadLetterSettings = z
  .strictObject({
    target: z
      .enum(['file', 'index'])
      .default('file')
      .describe(
        "'file': <dataDir>/dead-letter.ndjson (bounded below); 'index': the Elasticsearch index <indexPrefix>-dead-letters.",
      ),
    maxFileBytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024 * 1024)
      .describe('The dead-letter file is rotated at this size.'),
    maxFiles: z
      .number()
      .int()
      .min(1)
      .default(4)
      .describe('Rotated dead-letter files kept; the oldest is removed beyond it and its letters counted as dropped.'),
  })
  .prefault({});

/** The `logs:` section: which logs the agent tails and where it ships them. */
export const logsSection = z.strictObject({
  dataDir: z
    .string()
    .min(1)
    .default('/var/lib/watchkeeper/logs')
    .describe('Checkpoints, the audit webhook queue and dead letters live here.'),
  nodeName: z
    .string()
    .min(1)
    .optional()
    .describe('Node whose pods are cached for enrichment; default $NODE_NAME, else all pods.'),
  enrichFromApi: z
    .boolean()
    .default(true)
    .describe(
      'Add pod labels, annotations and node from a watch of the API; path fields are used when it is unavailable.',
    ),
  containers: containersSource,
  components: z.array(componentSource).default([]).describe('Control-plane component log files (klog format).'),
  audit: auditFileSource,
  auditWebhook: auditWebhookSource,
  auditProcessing,
  redact: z.array(redactRule).default([]).describe('Redaction rules applied to container and component messages.'),
  tail: tailSettings,
  batch: batchSettings,
  checkpointIntervalMs: z
    .number()
    .int()
    .min(10)
    .max(600_000)
    .default(1000)
    .describe('How often acknowledged positions are persisted.'),
  sink: z.enum(['directory', 'elasticsearch']).default('directory').describe('Where events go.'),
  elasticsearch: elasticsearchSink,
  directory: directorySink,
  deadLetter: deadLetterSettings,
});

/** The validated `logs:` section. */
export type LogsConfig = z.infer<typeof logsSection>;
