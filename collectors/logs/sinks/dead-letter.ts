import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { appendWhole } from './append.ts';

/** One event that can never be stored, with the reason. */
export interface DeadLetter {
  index: string;
  id: string;
  /** error.type from the sink, e.g. document_parsing_exception. */
  reason: string;
  detail: string;
  /** The document as it was sent. */
  document: string;
}

/** Where dead letters go: a bounded file set, or (see ElasticsearchSink) a dead-letter index. */
export interface DeadLetterStore {
  /** Stores the letters durably before the batch that held them is acknowledged. */
  write(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/** Bounds of the dead-letter files. */
export interface DeadLetterLimits {
  /** The current file is rotated at this size. */
  maxFileBytes: number;
  /** Rotated files kept; the oldest is removed beyond it (its letters are counted as dropped). */
  maxFiles: number;
  /** Told how many letters a removed file held. */
  onDropped?: (letters: number) => void;
}

/**
 * Appends dead letters to <dir>/dead-letter.ndjson, synced before the batch that held them is
 * acknowledged, so that nothing is dropped silently. A write is whole or cut off again (a full
 * disk leaves no torn line). At maxFileBytes the file becomes dead-letter-<time>.ndjson; beyond
 * maxFiles rotated files the oldest is removed and its letters counted.
 */
export class DeadLetterFile implements DeadLetterStore {
  private handle: FileHandle | undefined;
  private size = 0;
  private readonly dir: string;
  private readonly limits: DeadLetterLimits;

  constructor(dir: string, limits: DeadLetterLimits = { maxFileBytes: 64 * 1024 * 1024, maxFiles: 4 }) {
    this.dir = dir;
    this.limits = limits;
  }

  /** Path of the current file. */
  get path(): string {
    return join(this.dir, 'dead-letter.ndjson');
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.handle) {
      await mkdir(this.dir, { recursive: true });
      this.handle = await open(this.path, 'a');
      this.size = (await this.handle.stat()).size;
    }
    const time = new Date().toISOString();
    const data = Buffer.from(letters.map((l) => `${JSON.stringify({ '@timestamp': time, ...l })}\n`).join(''));
    await appendWhole(this.handle, data, this.size, true);
    this.size += data.length;
    if (this.size >= this.limits.maxFileBytes) await this.rotate();
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    await rename(this.path, join(this.dir, `dead-letter-${stamp}.ndjson`));
    const rotated = (await readdir(this.dir)).filter((f) => /^dead-letter-.+\.ndjson$/.test(f)).sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - this.limits.maxFiles))) {
      const path = join(this.dir, old);
      const lines = (await readFile(path, 'utf8').catch(() => '')).split('\n').filter((l) => l.length > 0).length;
      await unlink(path);
      this.limits.onDropped?.(lines);
    }
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
