import { join } from 'node:path';
import { debianBinary } from './binaries.ts';
import { httpGet } from './http.ts';
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
  /** Instant PromQL query; returns the `data.result` vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** Starts Debian's VictoriaMetrics on a free port with its own storage directory. */
export async function startVictoriaMetrics(): Promise<VictoriaMetricsServer> {
  const dir = await makeWorkDir('victoria-metrics');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process = new ManagedProcess({
    name: 'victoria-metrics', command: debianBinary('/usr/bin/victoria-metrics', 'victoria-metrics'), logFile: join(dir, 'vm.log'),
    args: [`-storageDataPath=${join(dir, 'data')}`, `-httpListenAddr=127.0.0.1:${port}`, '-search.latencyOffset=0s', '-loggerLevel=WARN'],
    ready: async () => (await httpGet(`${url}/health`)).status === 200,
  });
  await process.start();
  return {
    url,
    influxWriteUrl: `${url}/api/v2/write`,
    remoteWriteUrl: `${url}/api/v1/write`,
    process,
    query: async (promql) => {
      const { status, body } = await httpGet(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      if (status !== 200) throw new Error(`victoria-metrics query ${promql}: HTTP ${status}: ${body}`);
      return (JSON.parse(body) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
    },
    stop: async () => { await process.stop(); await removeWorkDir(dir); },
  };
}
