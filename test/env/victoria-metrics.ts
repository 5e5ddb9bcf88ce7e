import { join } from 'node:path';
import { debianBinary } from './binaries.ts';
import { httpGet, type GetOptions } from './http.ts';
import type { CertFiles } from './pki.ts';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { makeWorkDir, removeWorkDir } from './workdir.ts';

/** A running VictoriaMetrics: InfluxDB v2 line protocol and remote_write endpoints with PromQL read-back. */
export interface VictoriaMetricsServer {
  url: string;
  /** InfluxDB v2 line-protocol write URL (/api/v2/write). */
  influxWriteUrl: string;
  /** Prometheus remote_write endpoint (/api/v1/write). */
  remoteWriteUrl: string;
  process: ManagedProcess;
  /** Makes everything written so far visible to queries at once (/internal/force_flush). */
  flush(): Promise<void>;
  /** Instant PromQL query; returns the `data.result` vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** Options of {@link startVictoriaMetrics}; without them it serves plain HTTP with no authentication. */
export interface VictoriaMetricsOptions {
  /** Serve HTTPS with this certificate (-tls); `caFile` verifies it in the helpers' own requests. */
  tls?: CertFiles & { caFile: string };
  /** Require HTTP basic authentication on every endpoint (-httpAuth.*). */
  basicAuth?: { username: string; password: string };
  /** Further command-line flags, e.g. -search.maxQueryDuration=5m for queries over many series. */
  extraArgs?: string[];
}

/** Starts Debian's VictoriaMetrics on a free port with its own storage directory. */
export async function startVictoriaMetrics(options: VictoriaMetricsOptions = {}): Promise<VictoriaMetricsServer> {
  const dir = await makeWorkDir('victoria-metrics');
  const port = await freePort();
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const access: GetOptions = {
    ...(options.tls ? { caFile: options.tls.caFile } : {}),
    ...(options.basicAuth ? { basicAuth: options.basicAuth } : {}),
  };
  const process = new ManagedProcess({
    name: 'victoria-metrics',
    command: debianBinary('/usr/bin/victoria-metrics', 'victoria-metrics'),
    logFile: join(dir, 'vm.log'),
    args: [
      `-storageDataPath=${join(dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      '-search.latencyOffset=0s',
      '-loggerLevel=WARN',
      ...(options.tls ? ['-tls', `-tlsCertFile=${options.tls.certFile}`, `-tlsKeyFile=${options.tls.keyFile}`] : []),
      ...(options.basicAuth
        ? [`-httpAuth.username=${options.basicAuth.username}`, `-httpAuth.password=${options.basicAuth.password}`]
        : []),
      ...(options.extraArgs ?? []),
    ],
    ready: async () => (await httpGet(`${url}/health`, access)).status === 200,
  });
  await process.start();
  return {
    url,
    influxWriteUrl: `${url}/api/v2/write`,
    remoteWriteUrl: `${url}/api/v1/write`,
    process,
    flush: async () => {
      const { status, body } = await httpGet(`${url}/internal/force_flush`, access);
      if (status !== 200) throw new Error(`victoria-metrics force_flush: HTTP ${status}: ${body}`);
    },
    query: async (promql) => {
      const { status, body } = await httpGet(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, access);
      if (status !== 200) throw new Error(`victoria-metrics query ${promql}: HTTP ${status}: ${body}`);
      return (JSON.parse(body) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } })
        .data.result;
    },
    stop: async () => {
      await process.stop();
      await removeWorkDir(dir);
    },
  };
}
