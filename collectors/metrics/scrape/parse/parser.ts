import { Buffer } from 'node:buffer';
import {
  ExpositionParseError,
  type ExpositionFormat,
  type ExpositionHandler,
  type FamilyMeta,
  type Sample,
} from '../../types.ts';
import { FamilyTracker, type Resolution } from './families.ts';
import { LineError, quote } from './line-error.ts';
import { MetadataLineParser } from './metadata-line.ts';
import { parseValue } from './number.ts';
import { SampleLineParser } from './sample-line.ts';
import { decodeUtf8, firstInvalidUtf8, incompleteTailLength, isValidUtf8 } from './utf8.ts';

/** Options of an {@link ExpositionParser}. */
export interface ExpositionParserOptions {
  /** Longest line accepted, in bytes; a longer one is an error before it is held in memory. Default 1 MiB. */
  maxLineBytes?: number;
  /**
   * Most metric families one body may declare or use, default 100,000. Each costs a record until the
   * body ends, so a body of nothing but `# HELP` lines would otherwise grow memory up to its size limit.
   */
  maxFamilies?: number;
}

/** Default of {@link ExpositionParserOptions.maxFamilies}. */
export const defaultMaxFamilies = 100_000;

/** Default of {@link ExpositionParserOptions.maxLineBytes}. */
export const defaultMaxLineBytes = 1024 * 1024;

const lineFeed = 10;
const carriageReturn = 13;
const space = 32;
const tab = 9;
const hash = 35;

/**
 * A streaming parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0. Feed it the body's
 * bytes as they arrive with `write`, then call `end`; it calls `handler.sample` for every sample, in
 * order, with the sample's family. Between chunks it keeps only the current partial line (and at
 * most 3 bytes of a split UTF-8 character), so its memory does not grow with the body.
 *
 * `write` and `end` throw ExpositionParseError with the 1-based line number and the reason at the
 * first malformed line; the parser then stays failed and throws the same error again. Samples before
 * that line have already been handed over: the caller decides whether a failed body counts at all.
 */
export class ExpositionParser {
  private readonly openMetrics: boolean;
  private readonly maxLineBytes: number;
  private readonly families: FamilyTracker;
  private readonly samples: SampleLineParser;
  private readonly metadata: MetadataLineParser;
  private lineNumber = 0;
  private pending = '';
  private carry: Uint8Array | undefined;
  private eof = false;
  private ended = false;
  private failure: Error | undefined;
  private lastName = '';
  private lastResolution: Resolution | undefined;

  private readonly handler: ExpositionHandler;

  constructor(format: ExpositionFormat, handler: ExpositionHandler, options: ExpositionParserOptions = {}) {
    this.handler = handler;
    this.openMetrics = format === 'openmetrics';
    this.maxLineBytes = options.maxLineBytes ?? defaultMaxLineBytes;
    this.families = new FamilyTracker(format, options.maxFamilies ?? defaultMaxFamilies);
    this.samples = new SampleLineParser(format);
    this.metadata = new MetadataLineParser(format, this.families);
  }

  /** Parses the next chunk of the body. */
  write(chunk: Uint8Array): void {
    this.checkOpen();
    try {
      this.consumeBytes(chunk);
    } catch (error) {
      throw this.fail(error);
    }
  }

  /** Parses what is left (a last line without a line feed) and checks the body is complete. */
  end(): void {
    this.checkOpen();
    this.ended = true;
    try {
      if (this.carry !== undefined) {
        this.lineNumber++;
        throw new LineError('invalid UTF-8: the body ends inside a multi-byte character');
      }
      if (this.pending !== '') {
        const line = this.pending;
        this.pending = '';
        this.processLine(line, 0, line.length);
      }
      if (this.openMetrics && !this.eof) {
        this.lineNumber++;
        throw new LineError('missing "# EOF" at the end of the OpenMetrics body (truncated?)');
      }
    } catch (error) {
      throw this.fail(error);
    }
  }

  private checkOpen(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new Error('ExpositionParser: write or end after end()');
  }

  private fail(error: unknown): Error {
    this.failure =
      error instanceof LineError
        ? new ExpositionParseError(this.lineNumber, error.reason)
        : error instanceof Error
          ? error
          : new Error(String(error));
    return this.failure;
  }

  private consumeBytes(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.carry !== undefined) {
      bytes = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    const tail = incompleteTailLength(bytes);
    if (tail > 0) {
      this.carry = bytes.slice(bytes.length - tail);
      bytes = bytes.subarray(0, bytes.length - tail);
    }
    if (bytes.length === 0) return;
    if (!isValidUtf8(bytes)) this.rejectInvalidUtf8(bytes);
    this.consumeText(decodeUtf8(bytes));
  }

  /** Parses the complete lines before the bad byte (an earlier error wins), then throws. */
  private rejectInvalidUtf8(bytes: Uint8Array): never {
    const bad = Math.max(0, firstInvalidUtf8(bytes));
    const lastLineEnd = bytes.lastIndexOf(lineFeed, bad);
    if (lastLineEnd >= 0) this.consumeText(decodeUtf8(bytes.subarray(0, lastLineEnd + 1)));
    this.lineNumber++;
    const byteInLine = bad - (lastLineEnd + 1) + (lastLineEnd >= 0 ? 0 : Buffer.byteLength(this.pending));
    const hex = bytes[bad]?.toString(16) ?? '??';
    throw new LineError(`invalid UTF-8 byte 0x${hex} at byte ${byteInLine + 1} of the line`);
  }

  private consumeText(text: string): void {
    let pos = 0;
    if (this.pending !== '') {
      const lineEnd = text.indexOf('\n');
      if (lineEnd === -1) {
        this.pending += text;
        this.checkPendingLength();
        return;
      }
      const line = this.pending + text.slice(0, lineEnd);
      this.pending = '';
      this.processLine(line, 0, line.length);
      pos = lineEnd + 1;
    }
    for (;;) {
      const lineEnd = text.indexOf('\n', pos);
      if (lineEnd === -1) break;
      this.processLine(text, pos, lineEnd);
      pos = lineEnd + 1;
    }
    if (pos < text.length) {
      this.pending = text.slice(pos);
      this.checkPendingLength();
    }
  }

  private checkPendingLength(): void {
    if (this.tooLong(this.pending, 0, this.pending.length)) {
      this.lineNumber++;
      throw new LineError(`line longer than ${this.maxLineBytes} bytes`);
    }
  }

  /** Whether `s[start, end)` is longer than the limit in UTF-8 bytes (counted only when it may be). */
  private tooLong(s: string, start: number, end: number): boolean {
    const chars = end - start;
    if (chars > this.maxLineBytes) return true;
    if (chars * 3 <= this.maxLineBytes) return false;
    return Buffer.byteLength(s.slice(start, end)) > this.maxLineBytes;
  }

  private processLine(s: string, start: number, end: number): void {
    this.lineNumber++;
    if (this.eof) throw new LineError('content after "# EOF"');
    if (this.tooLong(s, start, end)) throw new LineError(`line longer than ${this.maxLineBytes} bytes`);
    if (start === end) {
      if (this.openMetrics) throw new LineError('empty line (OpenMetrics allows none)');
      return;
    }
    if (s.charCodeAt(end - 1) === carriageReturn) {
      throw new LineError('line ends with a carriage return: lines must end with a line feed alone');
    }
    let pos = start;
    let c = s.charCodeAt(pos);
    if (!this.openMetrics && (c === space || c === tab)) {
      while (pos < end && ((c = s.charCodeAt(pos)) === space || c === tab)) pos++;
      if (pos === end) return;
    }
    if (c === hash) {
      this.lastName = '';
      if (this.metadata.parse(s, pos, end) === 'eof') this.eof = true;
      return;
    }
    const sample = this.samples.parse(s, pos, end);
    let resolution = this.lastResolution;
    if (sample.name !== this.lastName || resolution === undefined) {
      resolution = this.families.resolve(sample.name);
      this.lastName = sample.name;
      this.lastResolution = resolution;
    }
    if (resolution.role !== 'value') checkRole(sample, resolution);
    this.handler.sample(sample, resolution.family);
  }
}

/** The label a bucket, quantile or state sample must carry. */
function checkRole(sample: Sample, { role, family }: Resolution): void {
  if (role === 'state') {
    if (!Object.hasOwn(sample.labels, family.name)) {
      throw new LineError(`stateset "${family.name}" sample without a "${family.name}" label`);
    }
    return;
  }
  const label = role === 'bucket' ? 'le' : 'quantile';
  const value = Object.hasOwn(sample.labels, label) ? sample.labels[label] : undefined;
  if (value === undefined) {
    throw new LineError(`${describe(family)} sample "${sample.name}" without a "${label}" label`);
  }
  try {
    parseValue(value, 0, value.length);
  } catch {
    throw new LineError(
      `${describe(family)} sample "${sample.name}": "${label}" label ${quote(value)} is not a number`,
    );
  }
}

function describe(family: FamilyMeta): string {
  return `${family.type} "${family.name}"`;
}

/**
 * Parses a whole body as it streams (an HTTP response body, a file stream) and resolves when it is
 * done; rejects with ExpositionParseError at the first malformed line.
 */
export async function parseExposition(
  body: AsyncIterable<Uint8Array>,
  format: ExpositionFormat,
  handler: ExpositionHandler,
  options?: ExpositionParserOptions,
): Promise<void> {
  const parser = new ExpositionParser(format, handler, options);
  for await (const chunk of body) parser.write(chunk);
  parser.end();
}
