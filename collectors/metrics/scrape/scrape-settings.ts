import type { StaticJobConfig } from '../config.ts';
import { durationMs } from '../duration.ts';
import type { ScrapeClientOptions } from './client.ts';

/** How the targets of one job are scraped: what static config and discovery both provide. */
export interface ScrapeSettings {
  job: string;
  intervalMs: number;
  timeoutMs: number;
  /** 0: no limit. */
  sampleLimit: number;
  honorLabels: boolean;
  client: ScrapeClientOptions;
}

/** The scrape settings of a static job. */
export function settingsOfStaticJob(job: StaticJobConfig): ScrapeSettings {
  return {
    job: job.job,
    intervalMs: durationMs(job.interval),
    timeoutMs: durationMs(job.timeout),
    sampleLimit: job.sampleLimit,
    honorLabels: job.honorLabels,
    client: {
      bodySizeLimitBytes: job.bodySizeLimitBytes,
      ...(job.tls ? { tls: job.tls } : {}),
      ...(job.bearerTokenFile ? { bearerTokenFile: job.bearerTokenFile } : {}),
      ...(job.basicAuth ? { basicAuth: job.basicAuth } : {}),
    },
  };
}
