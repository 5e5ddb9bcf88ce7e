import { join } from 'node:path';
import { debianBinary } from './binaries.ts';
import { httpGet } from './http.ts';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { makeWorkDir, removeWorkDir } from './workdir.ts';

/** A running prometheus-node-exporter. */
export interface NodeExporter {
  /** host:port, for scrape configs. */
  target: string;
  metricsUrl: string;
  stop(): Promise<void>;
}

/** Starts Debian's prometheus-node-exporter on a free loopback port. */
export async function startNodeExporter(): Promise<NodeExporter> {
  const dir = await makeWorkDir('node-exporter');
  const port = await freePort();
  const target = `127.0.0.1:${port}`;
  const process = new ManagedProcess({
    name: 'node-exporter',
    command: debianBinary('/usr/bin/prometheus-node-exporter', 'prometheus-node-exporter'),
    logFile: join(dir, 'node-exporter.log'),
    args: [`--web.listen-address=${target}`],
    ready: async () => (await httpGet(`http://${target}/metrics`)).status === 200,
  });
  await process.start();
  return {
    target,
    metricsUrl: `http://${target}/metrics`,
    stop: async () => {
      await process.stop();
      await removeWorkDir(dir);
    },
  };
}
