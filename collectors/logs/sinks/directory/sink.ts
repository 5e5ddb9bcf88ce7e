import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogsConfig } from '../../config.ts';
import type { LogsMetrics } from '../../metrics.ts';
import type { Batch } from '../../pipeline/batch.ts';
import { appendWhole } from '../append.ts';
import type { LogSink } from '../types.ts';

/**
 * Writes documents as NDJSON to <path>/current.ndjson, synced before a batch is acknowledged, and
 * rotates it to events-<time>.ndjson at maxFileBytes, keeping maxFiles rotated files.
 * Each line is `{"_index":..,"_id":..,"doc":{...}}`, so that re-sent events can be told apart.
 */
export class DirectorySink implements LogSink {
  readonly name = 'directory';
  private handle: FileHandle | undefined;
  private size = 0;
  private readonly config: LogsConfig['directory'];
  private readonly metrics: LogsMetrics;
  private chain: Promise<void> = Promise.resolve();

  constructor(config: LogsConfig['directory'], metrics: LogsMetrics) {
    this.config = config;
    this.metrics = metrics;
  }

  async start(): Promise<void> {
    await mkdir(this.config.path, { recursive: true });
  }

  write(batch: Batch): Promise<void> {
    // Batches may be written concurrently by the pipeline; one file needs them one after another.
    const run = this.chain.then(() => this.writeNow(batch));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async writeNow(batch: Batch): Promise<void> {
    const end = this.metrics.bulkDuration.startTimer({ sink: this.name });
    if (!this.handle) {
      this.handle = await open(join(this.config.path, 'current.ndjson'), 'a');
      this.size = (await this.handle.stat()).size;
    }
    const parts: Buffer[] = [];
    for (let i = 0; i < batch.count; i++) {
      parts.push(
        Buffer.from(`{"_index":"${batch.index(i)}","_id":"${batch.id(i)}","doc":`),
        batch.doc(i),
        Buffer.from('}\n'),
      );
    }
    const data = Buffer.concat(parts);
    await appendWhole(this.handle, data, this.size, true);
    this.size += data.length;
    end();
    this.metrics.eventsShipped.inc({ sink: this.name }, batch.count);
    if (this.size >= this.config.maxFileBytes) await this.rotate();
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    await rename(join(this.config.path, 'current.ndjson'), join(this.config.path, `events-${stamp}.ndjson`));
    const rotated = (await readdir(this.config.path)).filter((f) => f.startsWith('events-')).sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - this.config.maxFiles)))
      await unlink(join(this.config.path, old));
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle?.close();
    this.handle = undefined;
  }
}
