// A minimal _bulk endpoint that acknowledges every item at once, for benchmarks: it answers GET /
// and index templates like Elasticsearch (product header included), counts the items of each
// bulk body and answers errors:false with one status per item. Nothing is stored.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running ack-at-once endpoint. */
export interface AckEndpoint {
  url: string;
  port: number;
  /** Items received since the last reset. */
  items: number;
  /** Body bytes received since the last reset. */
  bytes: number;
  requests: number;
  reset(): void;
  close(): Promise<void>;
}

const itemText = '{"create":{"status":201}}';

/** Starts the endpoint on a free port. */
export async function startAckEndpoint(): Promise<AckEndpoint> {
  const state = { items: 0, bytes: 0, requests: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const bulk = (req.url ?? '').includes('_bulk');
    let newlines = 0;
    let bytes = 0;
    let last = 10;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!bulk) return;
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) newlines++;
      last = chunk[chunk.length - 1]!;
    });
    req.on('end', () => {
      let body: string;
      if (bulk) {
        const items = Math.floor((newlines + (last === 10 ? 0 : 1)) / 2);
        state.items += items;
        state.bytes += bytes;
        state.requests++;
        body = `{"took":0,"errors":false,"items":[${new Array<string>(items).fill(itemText).join(',')}]}`;
      } else if ((req.url ?? '/') === '/') {
        body =
          '{"name":"bench","cluster_name":"bench","version":{"number":"9.0.0","build_flavor":"default","lucene_version":"10.1.0"},"tagline":"You Know, for Search"}';
      } else {
        body = '{"acknowledged":true}';
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-elastic-product': 'Elasticsearch',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  };
  const server = createServer({ keepAliveTimeout: 60_000 }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get items() {
      return state.items;
    },
    get bytes() {
      return state.bytes;
    },
    get requests() {
      return state.requests;
    },
    reset() {
      state.items = 0;
      state.bytes = 0;
      state.requests = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
