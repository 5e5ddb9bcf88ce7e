/**
 * Thrown by the line parsers with only the reason; the exposition parser, which knows the line
 * number, turns it into an ExpositionParseError. Internal to the parser.
 */
export class LineError extends Error {
  /** Why the line is malformed. */
  readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.reason = reason;
    this.name = 'LineError';
  }
}

/** Quotes a piece of input for an error message, cut to a readable length. */
export function quote(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return JSON.stringify(shown);
}
