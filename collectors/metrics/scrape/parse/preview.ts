import { Buffer } from 'node:buffer';
import type { ExpositionFormat, Sample } from '../../types.ts';
import { detectFormat } from './detect-format.ts';
import { ExpositionParser } from './parser.ts';
import { sampleToJson, sampleToText } from './sample-output.ts';

/** Bytes held back to guess the format of an input that does not say it (`--format auto`). */
export const detectionHeadBytes = 64 * 1024;

/** Options of {@link previewExposition}. */
export interface PreviewOptions {
  format: ExpositionFormat | 'auto';
  output: 'json' | 'text';
  /** The input's last line when it can be read without reading the rest (a regular file's tail). */
  lastLine?: string;
  /** Receives printed lines in batches; the returned promise is awaited (backpressure). */
  write(text: string): Promise<void>;
}

/** What {@link previewExposition} read. */
export interface PreviewSummary {
  format: ExpositionFormat;
  samples: number;
  families: number;
}

/**
 * Streams a body through the parser and prints one line per sample (JSON or text format), for
 * `watchkeeper metrics parse`. With `format: 'auto'` it holds back at most the first 64 KiB to
 * decide (see detectFormat), never the whole body. Rejects with ExpositionParseError at the first
 * malformed line, after the lines before it were written.
 */
export async function previewExposition(
  body: AsyncIterable<Uint8Array>,
  options: PreviewOptions,
): Promise<PreviewSummary> {
  const chunks = body[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let finished = false;
  let format: ExpositionFormat;
  if (options.format === 'auto') {
    let size = 0;
    while (size < detectionHeadBytes) {
      const next = await chunks.next();
      if (next.done === true) {
        finished = true;
        break;
      }
      held.push(next.value);
      size += next.value.length;
    }
    const head = Buffer.concat(held).toString('utf8');
    format = detectFormat(head, finished ? lastNonEmptyLine(head) : options.lastLine);
  } else {
    format = options.format;
  }
  const print = options.output === 'json' ? sampleToJson : sampleToText;
  const families = new Set<string>();
  let out = '';
  let samples = 0;
  const parser = new ExpositionParser(format, {
    sample(sample: Sample, family) {
      samples++;
      families.add(family.name);
      out += `${print(sample)}\n`;
    },
  });
  const flush = async (): Promise<void> => {
    if (out === '') return;
    const text = out;
    out = '';
    await options.write(text);
  };
  try {
    for (const chunk of held) {
      parser.write(chunk);
      await flush();
    }
    held.length = 0;
    while (!finished) {
      const next = await chunks.next();
      if (next.done === true) break;
      parser.write(next.value);
      await flush();
    }
    parser.end();
  } finally {
    await flush();
  }
  return { format, samples, families: families.size };
}

function lastNonEmptyLine(text: string): string {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.trim() !== '') return lines[i]!;
  return '';
}
