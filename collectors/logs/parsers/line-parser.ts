/** Turns the complete lines of one file into events (through the file's emitter). */
export interface LineParser {
  /**
   * One line without its newline: bytes [start, end) of buf. `offset` is the file offset of the
   * line, `endOffset` that of the next line.
   */
  line(buf: Buffer, start: number, end: number, offset: number, endOffset: number): void;
  /** The file is at its end for now: emit what waits only for a following line. */
  idle(): void;
  /**
   * The generation ends for good (read to its end after rotation): emit everything pending,
   * including a message whose closing piece never came (it is not dropped).
   */
  end(): void;
  /** Forgets partial state (the file was truncated or replaced). */
  reset(): void;
}
