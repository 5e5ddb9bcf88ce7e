import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Lifecycle } from '../../../core/lifecycle.ts';
import { createLogger } from '../../../core/log.ts';

function quietLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', format: 'json', destination }), lines };
}

describe('Lifecycle', () => {
  it('stops components in reverse start order', async () => {
    const order: string[] = [];
    const lifecycle = new Lifecycle({ logger: quietLogger().logger, stopTimeoutMs: 1_000 });
    for (const name of ['status', 'source', 'sink'])
      lifecycle.add({
        name,
        stop: async () => {
          order.push(name);
        },
      });
    await lifecycle.stop();
    expect(order).toEqual(['sink', 'source', 'status']);
  });

  it('carries on past a component that fails or hangs, within the bounded time', async () => {
    const order: string[] = [];
    const { logger, lines } = quietLogger();
    const lifecycle = new Lifecycle({ logger, stopTimeoutMs: 300 });
    lifecycle.add({
      name: 'first',
      stop: async () => {
        order.push('first');
      },
    });
    lifecycle.add({ name: 'hangs', stop: () => new Promise(() => undefined) });
    lifecycle.add({ name: 'throws', stop: () => Promise.reject(new Error('boom')) });
    await lifecycle.stop();
    expect(order).toEqual([]);
    expect(lines.join('')).toContain('Component failed to stop cleanly.');
    expect(lines.join('')).toContain('Component did not stop in time.');
    expect(lines.join('')).toContain('skipping the remaining components');
  });

  it('exits at once on a second signal', async () => {
    const exits: number[] = [];
    const lifecycle = new Lifecycle({
      logger: quietLogger().logger,
      stopTimeoutMs: 10_000,
      exit: (code) => exits.push(code),
    });
    lifecycle.add({ name: 'slow', stop: () => new Promise((resolve) => setTimeout(resolve, 200)) });
    lifecycle.handleSignals();
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([130]);
    await lifecycle.stopped();
    expect(exits).toEqual([130]);
  });
});
