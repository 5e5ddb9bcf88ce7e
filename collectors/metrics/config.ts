import { z } from 'zod';
import { durationMs, durationPattern } from './duration.ts';
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
const tlsSettings = z.strictObject({
  caFile: z.string().min(1).optional()
    .describe('CA bundle (PEM) that verifies the target\'s certificate; default: the system CAs.'),
  certFile: z.string().min(1).optional()
    .describe('Client certificate (PEM) presented to the target (mTLS, e.g. etcd).'),
  keyFile: z.string().min(1).optional().describe('Key of the client certificate (PEM).'),
  serverName: z.string().min(1).optional()
    .describe('Name expected in the target\'s certificate (SNI); default: the target host.'),
  insecureSkipVerify: z.boolean().default(false)
    .describe('Accept any server certificate. Refused together with caFile: choose one.'),
}).refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
  message: 'certFile and keyFile must be given together',
})
  .refine((t) => !(t.insecureSkipVerify && t.caFile !== undefined), {
    message: 'insecureSkipVerify and caFile contradict each other: verify with caFile or skip verification, not both',
  });

/** Basic authentication; the password comes from a file so that it never sits in the config. */
const basicAuth = z.strictObject({
  username: z.string().min(1).describe('User name.'),
  passwordFile: z.string().min(1)
    .describe('File holding the password (trailing newline ignored); re-read when it changes.'),
});

/** One statically configured scrape job. */
const staticJob = z.strictObject({
  job: z.string().min(1).describe('Job name, the `job` label of every sample of these targets.'),
  targets: z.array(z.string().min(1).refine((t) => staticTargetProblem(t) === undefined, {
    error: (issue) => `a target as host:port or an http(s) URL; this one ${staticTargetProblem(String(issue.input))}`,
  })).min(1)
    .describe('Targets as host:port, or as URLs (http[s]://host:port/path?param=value) that set scheme, path and '
      + 'params.'),
  scheme: z.enum(['http', 'https']).default('http').describe('Scheme of host:port targets.'),
  metricsPath: z.string().startsWith('/').default('/metrics').describe('Path of host:port targets.'),
  params: z.record(z.string(), z.string()).default({}).describe('Query parameters added to every scrape.'),
  labels: z.record(labelName, z.string()).default({}).describe('Labels added to every sample of these targets.'),
  interval: duration.default('30s').describe('Time between two scrapes of one target.'),
  timeout: duration.default('10s').describe('Time one scrape may take; at most the interval.'),
  tls: tlsSettings.optional().describe('TLS settings for https targets.'),
  bearerTokenFile: z.string().min(1).optional()
    .describe('File holding a bearer token (e.g. a service-account token); re-read when it changes (rotation).'),
  basicAuth: basicAuth.optional().describe('HTTP basic authentication.'),
  sampleLimit: z.number().int().min(0).default(0)
    .describe('A scrape with more samples than this fails as a whole (up=0), as in Prometheus; 0: no limit.'),
  bodySizeLimitBytes: z.number().int().min(1024).default(64 * 1024 * 1024)
    .describe('A body larger than this (after gunzip) is cut off and the scrape fails, counted as body_too_large.'),
  relabelConfigs: relabelConfigsSchema
    .describe('Target relabeling (Prometheus relabel_configs, snake_case keys) before the scrape: may drop targets.'),
  metricRelabelConfigs: relabelConfigsSchema
    .describe('Sample relabeling (Prometheus metric_relabel_configs) on every scraped sample, target labels included.'),
  honorLabels: z.boolean().default(false)
    .describe('On a label conflict keep the target\'s value instead of the configured one '
      + '(conflicts otherwise become exported_<name>).'),
}).refine((j) => !bothDurations(j) || durationMs(j.timeout) <= durationMs(j.interval), {
  message: 'timeout must not exceed interval', path: ['timeout'],
})
  .refine((j) => !(j.bearerTokenFile !== undefined && j.basicAuth !== undefined), {
    message: 'bearerTokenFile and basicAuth are two ways to authenticate: choose one',
  });

/** Bounds of the series held in memory (exposition, staleness). */
const limits = z.strictObject({
  seriesPerTarget: z.number().int().min(1).default(250_000)
    .describe('New series of one target beyond this are dropped and counted (cardinality guard); '
      + 'known series keep updating.'),
  seriesTotal: z.number().int().min(1).default(1_000_000)
    .describe('New series beyond this many across all targets are dropped and counted '
      + '(about 370 bytes of memory each).'),
}).prefault({});

/** The metrics collectors: scrape jobs, limits and outputs. */
export const metricsSection = z.strictObject({
  enabled: z.boolean().default(false).describe('Run the metrics collectors in `agent` and `collector` modes.'),
  jobs: z.array(staticJob).default([]).describe('Static scrape jobs.'),
  limits,
  sinks: sinksSection.prefault({}).describe('Outputs besides /metrics: InfluxDB and Prometheus remote_write.'),
}).refine((m) => new Set(m.jobs.map((j) => j.job)).size === m.jobs.length, {
  message: 'job names must be unique', path: ['jobs'],
});

/** The validated `metrics:` configuration. */
export type MetricsConfig = z.infer<typeof metricsSection>;
/** One validated static job. */
export type StaticJobConfig = z.infer<typeof staticJob>;
/** TLS settings of a job. */
export type ScrapeTlsConfig = z.infer<typeof tlsSettings>;
