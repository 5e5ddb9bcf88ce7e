import { LineError } from './line-error.ts';

const backslash = 92;
const doubleQuote = 34;
const n = 110;

/**
 * Which escape sequences a string may hold. Text format: label values know `\\`, `\"` and `\n`, HELP
 * knows `\\` and `\n`, and any other backslash is kept as written (as Prometheus does). OpenMetrics:
 * `\\`, `\"` and `\n` everywhere, and any other backslash is an error (the ABNF's escaped-string).
 */
export type EscapeRules = 'text-label' | 'text-help' | 'openmetrics';

/** What {@link unescape} read: the string, and where its terminating quote is (or the end). */
export interface Unescaped {
  value: string;
  end: number;
}

/**
 * Reads an escaped string from `s[start, end)` up to an unescaped `"` when `quoted`, else to `end`.
 * Throws LineError for an unterminated quoted string or, under OpenMetrics rules, a bad escape.
 */
export function unescape(
  s: string,
  start: number,
  end: number,
  quoted: boolean,
  rules: EscapeRules,
  out: Unescaped,
): void {
  let value = '';
  let run = start;
  let i = start;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === doubleQuote && quoted) break;
    if (c !== backslash) continue;
    const next = i + 1 < end ? s.charCodeAt(i + 1) : -1;
    let replacement: string | undefined;
    if (next === backslash) replacement = '\\';
    else if (next === n) replacement = '\n';
    else if (next === doubleQuote && rules !== 'text-help') replacement = '"';
    if (replacement === undefined) {
      if (rules === 'openmetrics') {
        throw new LineError(
          next === -1
            ? 'backslash at the end of a string'
            : `invalid escape sequence "\\${String.fromCharCode(next)}" (allowed: \\\\, \\" and \\n)`,
        );
      }
      // Text format: an unknown escape stays as written, backslash included.
      continue;
    }
    value += s.slice(run, i) + replacement;
    i++;
    run = i + 1;
  }
  if (quoted && i >= end) throw new LineError('unterminated label value: no closing double quote');
  out.value = value + s.slice(run, i);
  out.end = i;
}
