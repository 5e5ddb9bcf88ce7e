import { open, mkdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

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

/**
 * Appends dead letters to <dir>/dead-letter.ndjson, synced before the batch that held them is
 * acknowledged, so that nothing is dropped silently.
 */
export class DeadLetterFile {
  private handle: FileHandle | undefined;
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Path of the file. */
  get path(): string {
    return join(this.dir, 'dead-letter.ndjson');
  }

  /** Writes the letters durably. */
  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.handle) {
      await mkdir(this.dir, { recursive: true });
      this.handle = await open(this.path, 'a');
    }
    const time = new Date().toISOString();
    await this.handle.write(letters.map((l) => `${JSON.stringify({ '@timestamp': time, ...l })}\n`).join(''));
    await this.handle.sync();
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
