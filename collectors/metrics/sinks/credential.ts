import { FileSecret } from '../scrape/file-secret.ts';
import { OutputError } from './output-error.ts';

/**
 * A credential of an output, given as a value or as a file that is re-read when it changes
 * (rotated tokens). Neither the value nor the file content is ever logged.
 */
export class Credential {
  private readonly output: string;
  private readonly value: string | undefined;
  private readonly file: FileSecret | undefined;

  constructor(output: string, value?: string, path?: string) {
    this.output = output;
    this.value = value;
    this.file = path === undefined ? undefined : new FileSecret(path);
  }

  /** True when a value or a file was given. */
  get present(): boolean {
    return this.value !== undefined || this.file !== undefined;
  }

  /** The current credential ('' when none); an unreadable file fails the attempt as `credentials` (retryable). */
  async read(): Promise<string> {
    if (this.file === undefined) return this.value ?? '';
    try {
      return await this.file.text();
    } catch (error) {
      throw new OutputError('credentials', true, `${this.output}: cannot read credential file ${this.file.path}`, {
        cause: error,
      });
    }
  }
}
