// The benchmark's scrape target: one HTTP server exposing the same series to every collector, in the
// format each asks for (Accept), gzipped when asked. Bodies are rendered once per interval and format,
// so the target costs the same whoever scrapes; scrapes are counted by collector (User-Agent).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { renderExposition, seriesCount, type SeriesMix } from './exposition.ts';

/** Scrapes served to one collector. */
export interface ScrapeCount {
  scrapes: number;
  text: number;
  openmetrics: number;
  bytes: number;
}

/** A running benchmark target. */
export interface BenchTarget {
  /** host:port */
  address: string;
  series: number;
  /** Scrapes served so far, by collector name. */
  counts: Map<string, ScrapeCount>;
  close(): Promise<void>;
}

const contentTypes = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
} as const;

/** Which collector a User-Agent belongs to. */
export function collectorOf(userAgent: string): string {
  if (/^Prometheus\//i.test(userAgent)) return 'prometheus';
  if (/vm_promscrape|vmagent/i.test(userAgent)) return 'vmagent';
  if (/^watchkeeper\//i.test(userAgent)) return 'watchkeeper';
  return 'other';
}

/** Starts the target on a free loopback port; bodies change every `intervalMs`. */
export async function startBenchTarget(mix: SeriesMix, intervalMs: number): Promise<BenchTarget> {
  const cache = new Map<string, { plain: Buffer; gzip: Buffer }>();
  const body = (epoch: number, format: 'text' | 'openmetrics'): { plain: Buffer; gzip: Buffer } => {
    const key = `${epoch}:${format}`;
    let entry = cache.get(key);
    if (entry === undefined) {
      for (const old of cache.keys()) if (!old.startsWith(`${epoch}:`)) cache.delete(old);
      const plain = Buffer.from(renderExposition(mix, epoch, format));
      entry = { plain, gzip: gzipSync(plain, { level: 1 }) };
      cache.set(key, entry);
    }
    return entry;
  };
  const counts = new Map<string, ScrapeCount>();
  const server: Server = createServer((req, res) => {
    const format = /application\/openmetrics-text/.test(req.headers.accept ?? '') ? 'openmetrics' : 'text';
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const { plain, gzip: zipped } = body(Math.floor(Date.now() / intervalMs), format);
    const payload = gzip ? zipped : plain;
    const who = collectorOf(req.headers['user-agent'] ?? '');
    const count = counts.get(who) ?? { scrapes: 0, text: 0, openmetrics: 0, bytes: 0 };
    counts.set(who, count);
    res.writeHead(200, {
      'content-type': contentTypes[format],
      'content-length': payload.length,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(payload, () => {
      count.scrapes++;
      count[format]++;
      count.bytes += plain.length;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    series: seriesCount(mix),
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
