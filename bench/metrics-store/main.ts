// Memory per stored series of the scrape engine (series store + exposition index), measured in
// process: heap after scraping a 100,000-series target (bench/metrics' mix of counters, gauges,
// histograms and summaries with pod-like labels) minus the heap before, after full collections.
// Run: node --expose-gc bench/metrics-store/main.ts [series]
// The end-to-end comparison with Prometheus and vmagent (RSS, CPU) is bench/metrics.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { exposition } from '../../core/http/exposition.ts';
import { createLogger } from '../../core/log.ts';
import { metricsSection } from '../../collectors/metrics/config.ts';
import { ScrapeEngine } from '../../collectors/metrics/scrape/engine.ts';
import { settingsOfStaticJob } from '../../collectors/metrics/scrape/scrape-settings.ts';
import { StaticTargetSource } from '../../collectors/metrics/static-source.ts';
import { mixFor, renderExposition, seriesCount } from '../metrics/exposition.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const settle = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const mix = mixFor(Number(process.argv[2] ?? 100_000));
let epoch = 0;
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderExposition(mix, epoch++, 'text'));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;

const registry = new Registry();
const logger = createLogger({ level: 'silent', format: 'json' });
const engine = new ScrapeEngine({ registry, logger, limits: { seriesPerTarget: 1e7, seriesTotal: 1e7 }, loops: false });
const job = metricsSection.parse({ jobs: [{ job: 'bench', targets: [target] }] }).jobs[0]!;
engine.addJob(settingsOfStaticJob(job), new StaticTargetSource(job));
await engine.start();
const before = settle();
for (let i = 0; i < 3; i++) await engine.scrapeAllOnce();
const stored = engine.scrapeTargets('bench')[0]!;
if (stored.health !== 'up') throw new Error(`scrape failed: ${stored.lastError}`);
const after = settle();
const started = process.hrtime.bigint();
const body = (await exposition(registry, false)).body;
const exposeMs = Number(process.hrtime.bigint() - started) / 1e6;
const series = stored.seriesCount;
console.log(
  JSON.stringify({
    series,
    expected: seriesCount(mix),
    heapBytesPerSeries: Math.round((after - before) / series),
    exposeMs: Math.round(exposeMs),
    exposedBytes: body.length,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  }),
);
await engine.stop();
server.close();
