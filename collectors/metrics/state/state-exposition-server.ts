import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../../core/log.ts';
import { TextExposition } from '../node/text-exposition.ts';
import type { StateCollector } from './state-collector.ts';

/** A running loopback server exposing the cluster-state series. */
export interface StateExpositionServer {
  /** `127.0.0.1:<port>`, the address to scrape. */
  address: string;
  stop(): Promise<void>;
}

/**
 * Serves the cluster-state collector at `http://127.0.0.1:<random port>/metrics` in the text format, scraped as
 * job "kube-state-metrics" through the same engine, sharding, relabeling and sinks as every other target (the
 * node collector's design, node-exposition-server.ts). Loopback only: nothing else can reach it.
 */
export async function startStateExpositionServer(options: {
  collector: StateCollector;
  logger: Logger;
}): Promise<StateExpositionServer> {
  const log = options.logger.child({ component: 'state-collector' });
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics\n');
      return;
    }
    void (async () => {
      try {
        const exposition = new TextExposition();
        await options.collector.collect(exposition);
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(exposition.text());
      } catch (error) {
        log.warn({ err: error }, 'Cluster-state collection failed.');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('cluster-state collection failed\n');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
