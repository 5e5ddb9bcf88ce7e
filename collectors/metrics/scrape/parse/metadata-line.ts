import type { ExpositionFormat } from '../../types.ts';
import { unescape, type Unescaped } from './escapes.ts';
import type { FamilyTracker } from './families.ts';
import { LineError, quote } from './line-error.ts';
import { isMetricNameChar, isMetricNameStart } from './names.ts';

const space = 32;
const tab = 9;

/** What a `#` line was. */
export type MetadataOutcome = 'metadata' | 'comment' | 'eof';

/**
 * Parses the lines that start with `#` and hands HELP, TYPE and UNIT to the family tracker.
 * Text format: `#` then blanks, and if the first word is HELP or TYPE the metric name and the rest;
 * any other `#` line is a comment. OpenMetrics: exactly `# HELP `, `# TYPE `, `# UNIT ` or the line
 * `# EOF`; there are no comments.
 */
export class MetadataLineParser {
  private readonly text: boolean;
  private readonly unescaped: Unescaped = { value: '', end: 0 };

  private readonly families: FamilyTracker;

  constructor(format: ExpositionFormat, families: FamilyTracker) {
    this.families = families;
    this.text = format === 'text';
  }

  /** Parses `s[start, end)`, which starts with `#`. */
  parse(s: string, start: number, end: number): MetadataOutcome {
    return this.text ? this.parseText(s, start, end) : this.parseOpenMetrics(s, start, end);
  }

  private parseText(s: string, start: number, end: number): MetadataOutcome {
    let pos = skipBlanks(s, start + 1, end);
    const wordStart = pos;
    while (pos < end && !isBlank(s.charCodeAt(pos))) pos++;
    const word = pos - wordStart === 4 ? s.slice(wordStart, pos) : '';
    if (word !== 'HELP' && word !== 'TYPE') return 'comment';
    pos = skipBlanks(s, pos, end);
    const nameStart = pos;
    pos = metricNameEnd(s, pos, end, word);
    const name = s.slice(nameStart, pos);
    if (pos < end && !isBlank(s.charCodeAt(pos))) {
      throw new LineError(`# ${word}: invalid character ${quote(s.charAt(pos))} in metric name "${name}"`);
    }
    pos = skipBlanks(s, pos, end);
    if (word === 'HELP') {
      unescape(s, pos, end, false, 'text-help', this.unescaped);
      this.families.declareHelp(name, this.unescaped.value);
      return 'metadata';
    }
    const typeStart = pos;
    while (pos < end && !isBlank(s.charCodeAt(pos))) pos++;
    if (pos === typeStart) throw new LineError(`# TYPE "${name}" without a type`);
    const type = s.slice(typeStart, pos);
    pos = skipBlanks(s, pos, end);
    if (pos < end) throw new LineError(`unexpected ${quote(s.slice(pos, end))} after # TYPE "${name}" ${type}`);
    this.families.declareType(name, type);
    return 'metadata';
  }

  private parseOpenMetrics(s: string, start: number, end: number): MetadataOutcome {
    if (end - start === 5 && s.startsWith('# EOF', start)) return 'eof';
    const kind = s.slice(start, start + 7);
    if (kind !== '# HELP ' && kind !== '# TYPE ' && kind !== '# UNIT ') {
      throw new LineError(
        `unexpected ${quote(s.slice(start, end))}: OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF lines`,
      );
    }
    const word = kind.slice(2, 6);
    let pos = start + 7;
    const nameStart = pos;
    pos = metricNameEnd(s, pos, end, word);
    const name = s.slice(nameStart, pos);
    if (pos < end) {
      if (s.charCodeAt(pos) !== space) {
        throw new LineError(`# ${word}: invalid character ${quote(s.charAt(pos))} in metric name "${name}"`);
      }
      pos++;
    }
    if (word === 'HELP') {
      unescape(s, pos, end, false, 'openmetrics', this.unescaped);
      this.families.declareHelp(name, this.unescaped.value);
    } else if (word === 'TYPE') {
      this.families.declareType(name, s.slice(pos, end));
    } else {
      const unitStart = pos;
      while (pos < end && isMetricNameChar(s.charCodeAt(pos))) pos++;
      if (pos < end) throw new LineError(`# UNIT "${name}": invalid character ${quote(s.charAt(pos))} in the unit`);
      this.families.declareUnit(name, s.slice(unitStart, end));
    }
    return 'metadata';
  }
}

function metricNameEnd(s: string, pos: number, end: number, word: string): number {
  if (pos >= end) throw new LineError(`# ${word} without a metric name`);
  if (!isMetricNameStart(s.charCodeAt(pos))) {
    throw new LineError(`# ${word}: invalid metric name: unexpected character ${quote(s.charAt(pos))} at its start`);
  }
  pos++;
  while (pos < end && isMetricNameChar(s.charCodeAt(pos))) pos++;
  return pos;
}

function isBlank(c: number): boolean {
  return c === space || c === tab;
}

function skipBlanks(s: string, pos: number, end: number): number {
  while (pos < end && isBlank(s.charCodeAt(pos))) pos++;
  return pos;
}
