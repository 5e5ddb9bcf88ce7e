import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { KubeObject } from '../../core/kube/types.ts';
import type { EntryRef } from './entry-path.ts';

/** One planned object: where it came from in the archive and the object as backed up. */
export interface SpooledObject {
  ref: EntryRef;
  object: KubeObject;
}

/**
 * Objects waiting for their restore level, one JSON-lines file per level in a private work
 * directory, so a restore of 100,000 objects holds none of them in memory while it plans.
 */
export class LevelSpool {
  private readonly dir: string;
  private readonly files = new Map<number, WriteStream>();
  /** Objects spooled per level. */
  readonly counts = new Map<number, number>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Appends an object to its level's file. */
  async add(level: number, item: SpooledObject): Promise<void> {
    let file = this.files.get(level);
    if (!file) this.files.set(level, (file = createWriteStream(this.fileOf(level), { mode: 0o600 })));
    this.counts.set(level, (this.counts.get(level) ?? 0) + 1);
    if (!file.write(`${JSON.stringify(item)}\n`)) await once(file, 'drain');
  }

  /** Closes every file; call before reading. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.files.values()].map(async (f) => {
        f.end();
        await once(f, 'close');
      }),
    );
  }

  /** The objects of one level, in the order they were spooled. */
  async *read(level: number): AsyncGenerator<SpooledObject> {
    if (!this.counts.has(level)) return;
    for await (const line of createInterface({ input: createReadStream(this.fileOf(level)), crlfDelay: Infinity })) {
      if (line !== '') yield JSON.parse(line) as SpooledObject;
    }
  }

  private fileOf(level: number): string {
    return path.join(this.dir, `level-${String(level).padStart(2, '0')}.jsonl`);
  }
}
