import { open, type FileHandle } from 'node:fs/promises';

/** Positional reads from a log file generation, plain or compressed. */
export interface ByteReader {
  /** Reads up to `length` bytes at `position` into buf at `offset`; 0 at the end. */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** A plain file through an open descriptor (a renamed or deleted file stays readable through it). */
export class FileReader implements ByteReader {
  readonly handle: FileHandle;

  private constructor(handle: FileHandle) {
    this.handle = handle;
  }

  /** Opens a file for reading. */
  static async open(path: string): Promise<FileReader> {
    return new FileReader(await open(path, 'r'));
  }

  /** Reads through an open descriptor (it is closed with the reader). */
  static of(handle: FileHandle): FileReader {
    return new FileReader(handle);
  }

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.handle.read(buf, offset, length, position)).bytesRead;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
