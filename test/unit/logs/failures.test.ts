import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogsMetrics } from '../../../collectors/logs/metrics.ts';
import { AckTarget } from '../../../collectors/logs/pipeline/ack.ts';
import type { Batch } from '../../../collectors/logs/pipeline/batch.ts';
import { FileEmitter } from '../../../collectors/logs/pipeline/emitter.ts';
import { IndexNames } from '../../../collectors/logs/pipeline/index-names.ts';
import { Pipeline } from '../../../collectors/logs/pipeline/pipeline.ts';
import { appendWhole } from '../../../collectors/logs/sinks/append.ts';
import { DeadLetterFile } from '../../../collectors/logs/sinks/dead-letter.ts';
import type { LogSink } from '../../../collectors/logs/sinks/types.ts';
import { CheckpointStore } from '../../../collectors/logs/sources/checkpoint.ts';
import { until } from '../../support/eventually.ts';
import { logsConfig } from './support/capture.ts';

// What happens when writes fail in ways the sink does not expect, and when state files are damaged.

/** A sink whose writes fail (as on a full disk) until `healthy` is set. */
class FailingSink implements LogSink {
  readonly name = 'failing';
  healthy = false;
  attempts = 0;
  stored = 0;
  start(): Promise<void> {
    return Promise.resolve();
  }
  write(batch: Batch): Promise<void> {
    this.attempts++;
    if (!this.healthy)
      return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    this.stored += batch.count;
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('unexpected sink failures', () => {
  it('retries a failing batch, says why while it fails, and acknowledges once the sink recovers', async () => {
    const sink = new FailingSink();
    const registry = new Registry();
    const metrics = createLogsMetrics(registry);
    const pipeline = new Pipeline({
      sink,
      batch: { ...logsConfig().batch, maxDelayMs: 10 },
      metrics,
      logger: pino({ level: 'silent' }),
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
    });
    const target = new AckTarget(0);
    const emitter = new FileEmitter(
      pipeline,
      new IndexNames('wk', false),
      { redactions: [], parseJson: false, maxMessageBytes: 1024 },
      target,
      'f-',
      Buffer.from('}}'),
    );
    const ts = Buffer.from('2026-01-02T03:04:05Z');
    const msg = Buffer.from('hello');
    emitter.container(ts, 0, ts.length, false, msg, 0, msg.length, 0, 100, false);
    pipeline.rotate();
    await until(() => pipeline.failure !== undefined, 'pipeline reports the failure');
    expect(pipeline.failure).toContain('ENOSPC');
    expect((await metrics.sinkFailing.get()).values[0]?.value).toBe(1);
    expect(target.acknowledged).toBe(0);
    sink.healthy = true;
    await until(() => target.acknowledged === 100, 'acknowledged after recovery');
    expect(pipeline.failure).toBeUndefined();
    expect(sink.stored).toBe(1);
    expect((await metrics.sinkWriteFailures.get()).values[0]?.value).toBe(sink.attempts - 1);
    expect((await metrics.sinkFailing.get()).values[0]?.value).toBe(0);
    await pipeline.stop(100);
  });

  it('cuts a failed append back off, so a retry leaves no torn line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-append-'));
    const file = join(dir, 'out.ndjson');
    writeFileSync(file, '{"a":1}\n');
    const handle = await open(file, 'a');
    // A handle that fails after writing part of the data, as a disk that fills up mid-write.
    let calls = 0;
    const failing = Object.create(handle) as typeof handle;
    failing.write = (async (data: Buffer, offset: number, _length: number, position: number) => {
      calls++;
      if (calls === 1) return handle.write(data, offset, 5, position);
      throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
    }) as typeof handle.write;
    await expect(appendWhole(failing, Buffer.from('{"b":2}\n{"c":3}\n'), 8, true)).rejects.toThrow('ENOSPC');
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    await appendWhole(handle, Buffer.from('{"b":2}\n'), 8, true);
    await handle.close();
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
  });

  it('bounds the dead-letter files: rotated at a size, the oldest removed and counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-dl-'));
    let dropped = 0;
    const letters = new DeadLetterFile(dir, {
      maxFileBytes: 1024,
      maxFiles: 2,
      onDropped: (n) => {
        dropped += n;
      },
    });
    const letter = {
      index: 'i',
      id: 'x',
      reason: 'document_parsing_exception',
      detail: 'd',
      document: `{"m":"${'y'.repeat(200)}"}`,
    };
    for (let i = 0; i < 20; i++) {
      await letters.write([{ ...letter, id: `id-${i}` }]);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await letters.close();
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.startsWith('dead-letter-'))).toHaveLength(2);
    const kept = files.flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l.length > 0),
    );
    expect(kept.length + dropped).toBe(20);
    expect(dropped).toBeGreaterThan(0);
    // The newest letters are the ones kept.
    expect(kept.map((l) => (JSON.parse(l) as { id: string }).id)).toContain('id-19');
  });
});

describe('damaged checkpoint files', () => {
  it.each([
    ['truncated', '{"version":2,"since":1,"files":[{"key":"1:2","sou'],
    ['garbage', '\u0000\u0000\u0000\u0000'],
    ['wrong shape', '{"files":[{"key":1}]}'],
    ['empty', ''],
  ])('moves a %s file aside and starts empty', async (_name, content) => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-cp-'));
    mkdirSync(join(dir, 'data'));
    const file = join(dir, 'data', 'checkpoints.json');
    writeFileSync(file, content);
    const store = new CheckpointStore(file);
    const loaded = await store.load();
    expect(loaded.fresh).toBe(true);
    expect(loaded.movedTo).toMatch(/checkpoints\.json\.corrupt-\d+$/);
    expect(readFileSync(loaded.movedTo!, 'utf8')).toBe(content);
    expect(existsSync(file)).toBe(false);
    expect(store.list()).toEqual([]);
    await store.save();
  });
});
