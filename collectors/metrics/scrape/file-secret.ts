import { stat, readFile } from 'node:fs/promises';
import { ScrapeError } from './scrape-error.ts';

/**
 * A credential kept in a file (service-account token, password, certificate): read again whenever
 * the file's inode, size or modification time changes, so a rotated token is used on the next scrape.
 * The content is never logged; errors name the file only.
 */
export class FileSecret {
  private cached: { stamp: string; value: Buffer } | undefined;

  /** The file's path (named in errors). */
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The current content; throws a ScrapeError (auth_file) when the file cannot be read. */
  async read(): Promise<Buffer> {
    try {
      const info = await stat(this.path);
      const stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (this.cached?.stamp !== stamp) this.cached = { stamp, value: await readFile(this.path) };
      return this.cached.value;
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new ScrapeError('auth_file', `cannot read ${this.path}: ${why}`, { cause: error });
    }
  }

  /** The content as text without a trailing newline (tokens, passwords). */
  async text(): Promise<string> {
    return (await this.read()).toString('utf8').replace(/\r?\n$/, '');
  }
}
