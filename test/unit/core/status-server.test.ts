import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startStatusServer, type StatusServer } from '../../../core/http/status-server.ts';
import { createLogger } from '../../../core/log.ts';
import { createRegistry } from '../../../core/metrics.ts';

const logger = createLogger({
  level: 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

describe('status server', () => {
  let server: StatusServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('serves Prometheus metrics with build info and Node defaults', async () => {
    server = await startStatusServer({ host: '127.0.0.1', port: 0, registry: createRegistry('test'), logger });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const body = await response.text();
    expect(body).toMatch(/watchkeeper_build_info\{version="[^"]+",node_version="v\d+[^"]*",mode="test"\} 1/);
    expect(body).toContain('process_resident_memory_bytes');
    expect(body).toContain('nodejs_eventloop_lag_seconds');
  });

  it('answers /healthz and reports each readiness check on /readyz', async () => {
    let sinkReady = false;
    server = await startStatusServer({
      host: '127.0.0.1',
      port: 0,
      registry: createRegistry('test'),
      logger,
      readiness: [{ name: 'source', check: () => true }],
    });
    server.addReadiness({ name: 'sink', check: () => sinkReady });
    server.addReadiness({
      name: 'cache',
      check: () => {
        if (!sinkReady) throw new Error('not synced');
        return true;
      },
    });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('[+]source\n[-]sink\n[-]cache: not synced\nnot ready\n');
    sinkReady = true;
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});
