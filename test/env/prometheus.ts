import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { debianBinary } from './binaries.ts';
import { httpGet } from './http.ts';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { makeWorkDir, removeWorkDir } from './workdir.ts';

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  /** Static scrape targets as host:port, each in its own job. */
  scrapeTargets?: { job: string; target: string; scheme?: 'http' | 'https' }[];
  /** Rule files to load. */
  ruleFiles?: string[];
  scrapeIntervalSeconds?: number;
  /** Accept remote_write requests at /api/v1/write (--web.enable-remote-write-receiver). */
  remoteWriteReceiver?: boolean;
  /** remote_write destinations for everything scraped. */
  remoteWriteUrls?: string[];
  /** Run in agent mode (--enable-feature=agent): scrape and remote_write only, no TSDB and no queries. */
  agent?: boolean;
  /** Further scrape_configs, written as given (file_sd_configs, relabel_configs, metric_relabel_configs...). */
  scrapeConfigs?: Record<string, unknown>[];
}

/** A running Prometheus server. */
export interface PrometheusServer {
  url: string;
  /** The remote_write endpoint (answers only with `remoteWriteReceiver`). */
  remoteWriteUrl: string;
  process: ManagedProcess;
  /** GET of an HTTP API path (e.g. `/api/v1/targets`), returning the decoded `data` field. */
  api<T = unknown>(path: string): Promise<T>;
  /** Instant query; returns the `data.result` vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** Starts Debian's Prometheus on a free port with its own TSDB directory. */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusServer> {
  const dir = await makeWorkDir('prometheus');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  await writeFile(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: interval, evaluation_interval: interval },
      rule_files: options.ruleFiles ?? [],
      scrape_configs: (options.scrapeTargets ?? [])
        .map((t): Record<string, unknown> => ({
          job_name: t.job,
          scheme: t.scheme ?? 'http',
          static_configs: [{ targets: [t.target] }],
          ...(t.scheme === 'https' ? { tls_config: { insecure_skip_verify: true } } : {}),
        }))
        .concat(options.scrapeConfigs ?? []),
      ...(options.remoteWriteUrls?.length ? { remote_write: options.remoteWriteUrls.map((u) => ({ url: u })) } : {}),
    }),
  );
  const storageArgs = options.agent
    ? ['--enable-feature=agent', `--storage.agent.path=${join(dir, 'data')}`]
    : [`--storage.tsdb.path=${join(dir, 'data')}`];
  const process = new ManagedProcess({
    name: 'prometheus',
    command: debianBinary('/usr/bin/prometheus', 'prometheus'),
    logFile: join(dir, 'prometheus.log'),
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      ...storageArgs,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(options.remoteWriteReceiver ? ['--web.enable-remote-write-receiver'] : []),
    ],
    ready: async () => (await httpGet(`${url}/-/ready`)).status === 200,
  });
  await process.start();
  return {
    url,
    remoteWriteUrl: `${url}/api/v1/write`,
    process,
    api: async <T>(path: string) => {
      const { status, body } = await httpGet(`${url}${path}`);
      if (status !== 200) throw new Error(`prometheus GET ${path}: HTTP ${status}: ${body}`);
      return (JSON.parse(body) as { data: T }).data;
    },
    query: async (promql) => {
      const { status, body } = await httpGet(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      if (status !== 200) throw new Error(`prometheus query ${promql}: HTTP ${status}: ${body}`);
      return (JSON.parse(body) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } })
        .data.result;
    },
    stop: async () => {
      await process.stop();
      await removeWorkDir(dir);
    },
  };
}
