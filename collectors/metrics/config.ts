import { z } from 'zod';
import { kubernetesDiscoverySchema } from './discovery/config.ts';
import { shardingConfigSchema } from './discovery/shard/config.ts';
import { stateCollectorConfigSchema, stateJob } from './state/config.ts';
import { durationMs, durationPattern } from './duration.ts';
import { nodeCollectorConfigSchema } from './node/config.ts';
import { relabelConfigsSchema } from './relabel/config.ts';
import { sinksSection } from './sinks/config.ts';
import { staticTargetProblem } from './static-source.ts';

const duration = z.string().regex(durationPattern, 'a duration such as 15s, 500ms or 1m30s');

/** Whether both durations are valid (their own errors are reported by their fields). */
function bothDurations(job: { timeout: string; interval: string }): boolean {
  return durationPattern.test(job.timeout) && durationPattern.test(job.interval);
}

/** A label name as Prometheus accepts it. */
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name ([a-zA-Z_][a-zA-Z0-9_]*)');

/** TLS settings of a scrape. */
const tlsSettings = z
  .strictObject({
    caFile: z
      .string()
      .min(1)
      .optional()
      .describe("CA bundle (PEM) that verifies the target's certificate; default: the system CAs."),
    certFile: z
      .string()
      .min(1)
      .optional()
      .describe('Client certificate (PEM) presented to the target (mTLS, e.g. etcd).'),
    keyFile: z.string().min(1).optional().describe('Key of the client certificate (PEM).'),
    serverName: z
      .string()
      .min(1)
      .optional()
      .describe("Name expected in the target's certificate (SNI); default: the target host."),
    insecureSkipVerify: z
      .boolean()
      .default(false)
      .describe('Accept any server certificate. Refused together with caFile: choose one.'),
  })
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
    message: 'certFile and keyFile must be given together',
  })
  .refine((t) => !(t.insecureSkipVerify && t.caFile !== undefined), {
    message: 'insecureSkipVerify and caFile contradict each other: verify with caFile or skip verification, not both',
  });

/** Basic authentication; the password comes from a file so that it never sits in the config. */
const basicAuth = z.strictObject({
  username: z.string().min(1).describe('User name.'),
  passwordFile: z
    .string()
    .min(1)
    .describe('File holding the password (trailing newline ignored); re-read when it changes.'),
});

/** The job name under which the agent scrapes its built-in node collector (metrics.node). */
export const nodeCollectorJob = 'node';

/** One scrape job: static `targets`, or targets discovered in the cluster (`kubernetes`). */
export const scrapeJobSchema = z
  .strictObject({
    job: z.string().min(1).describe('Job name, the `job` label of every sample of these targets.'),
    targets: z
      .array(
        z
          .string()
          .min(1)
          .refine((t) => staticTargetProblem(t) === undefined, {
            error: (issue) =>
              `a target as host:port or an http(s) URL; this one ${staticTargetProblem(String(issue.input))}`,
          }),
      )
      .default([])
      .describe(
        'Targets as host:port, or as URLs (http[s]://host:port/path?param=value) that set scheme, path and ' +
          'params. Either targets or kubernetes.',
      ),
    kubernetes: kubernetesDiscoverySchema
      .optional()
      .describe('Discover the targets in the cluster by watching the API (see docs/metrics.md, Kubernetes discovery).'),
    shard: z
      .boolean()
      .default(true)
      .describe(
        "With metrics.sharding.enabled, this kubernetes job's targets are split among the replicas; " +
          'false: every replica scrapes all of them.',
      ),
    scheme: z.enum(['http', 'https']).default('http').describe('Scheme of host:port targets.'),
    metricsPath: z.string().startsWith('/').default('/metrics').describe('Path of host:port targets.'),
    params: z.record(z.string(), z.string()).default({}).describe('Query parameters added to every scrape.'),
    labels: z.record(labelName, z.string()).default({}).describe('Labels added to every sample of these targets.'),
    interval: duration.default('30s').describe('Time between two scrapes of one target.'),
    timeout: duration.default('10s').describe('Time one scrape may take; at most the interval.'),
    tls: tlsSettings.optional().describe('TLS settings for https targets.'),
    bearerTokenFile: z
      .string()
      .min(1)
      .optional()
      .describe('File holding a bearer token (e.g. a service-account token); re-read when it changes (rotation).'),
    basicAuth: basicAuth.optional().describe('HTTP basic authentication.'),
    sampleLimit: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('A scrape with more samples than this fails as a whole (up=0), as in Prometheus; 0: no limit.'),
    bodySizeLimitBytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024 * 1024)
      .describe('A body larger than this (after gunzip) is cut off and the scrape fails, counted as body_too_large.'),
    relabelConfigs: relabelConfigsSchema.describe(
      'Target relabeling (Prometheus relabel_configs, snake_case keys) before the scrape: may drop targets.',
    ),
    metricRelabelConfigs: relabelConfigsSchema.describe(
      'Sample relabeling (Prometheus metric_relabel_configs) on every scraped sample, target labels included.',
    ),
    honorLabels: z
      .boolean()
      .default(false)
      .describe(
        "On a label conflict keep the target's value instead of the configured one " +
          '(conflicts otherwise become exported_<name>).',
      ),
  })
  .refine((j) => j.targets.length > 0 !== (j.kubernetes !== undefined), {
    message: 'a job needs either targets or kubernetes (not both)',
    path: ['targets'],
  })
  .refine((j) => !bothDurations(j) || durationMs(j.timeout) <= durationMs(j.interval), {
    message: 'timeout must not exceed interval',
    path: ['timeout'],
  })
  .refine((j) => !(j.bearerTokenFile !== undefined && j.basicAuth !== undefined), {
    message: 'bearerTokenFile and basicAuth are two ways to authenticate: choose one',
  });

/** Bounds of the series held in memory (exposition, staleness). */
const limits = z
  .strictObject({
    seriesPerTarget: z
      .number()
      .int()
      .min(1)
      .default(250_000)
      .describe(
        'New series of one target beyond this are dropped and counted (cardinality guard); ' +
          'known series keep updating.',
      ),
    seriesTotal: z
      .number()
      .int()
      .min(1)
      .default(1_000_000)
      .describe(
        'New series beyond this many across all targets are dropped and counted ' + '(about 370 bytes of memory each).',
      ),
  })
  .prefault({});

/** The metrics collectors: scrape jobs, limits and outputs. */
export const metricsSection = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Run the metrics collectors in `agent` and `collector` modes.'),
    jobs: z.array(scrapeJobSchema).default([]).describe('Scrape jobs: static targets or Kubernetes discovery.'),
    limits,
    sinks: sinksSection.prefault({}).describe('Outputs besides /metrics: InfluxDB and Prometheus remote_write.'),
    node: nodeCollectorConfigSchema.describe(
      `The agent's built-in node collector, scraped as job "${nodeCollectorJob}" (collector mode ignores it).`,
    ),
    sharding: shardingConfigSchema.describe(
      'Collector mode: split the targets of kubernetes jobs among the replicas (Leases).',
    ),
    state: stateCollectorConfigSchema.describe(
      `Collector mode: the cluster-state collector (kube-state-metrics' series), scraped as job "${stateJob}" ` +
        'by exactly one replica (the agent ignores it).',
    ),
  })
  .refine((m) => new Set(m.jobs.map((j) => j.job)).size === m.jobs.length, {
    message: 'job names must be unique',
    path: ['jobs'],
  })
  .refine((m) => !m.state.enabled || m.jobs.every((j) => j.job !== stateJob), {
    message: `job name "${stateJob}" is taken by the cluster-state collector (metrics.state.enabled)`,
    path: ['jobs'],
  })
  .refine((m) => !m.node.enabled || m.jobs.every((j) => j.job !== nodeCollectorJob), {
    message: `job name "${nodeCollectorJob}" is taken by the built-in node collector (metrics.node.enabled)`,
    path: ['jobs'],
  });

/** The validated `metrics:` configuration. */
export type MetricsConfig = z.infer<typeof metricsSection>;
/** One validated static job. */
export type StaticJobConfig = z.infer<typeof scrapeJobSchema>;
/** TLS settings of a job. */
export type ScrapeTlsConfig = z.infer<typeof tlsSettings>;
