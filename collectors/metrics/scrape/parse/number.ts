import { LineError, quote } from './line-error.ts';

/**
 * Number tokens of both formats: a decimal float (`[+-]` digits, optional `.` digits, optional
 * exponent; `1.`, `.5` and `1E5` included), and, case-insensitively, `NaN` (no sign), `Inf` and
 * `Infinity` with an optional sign. This is the OpenMetrics 1.0 ABNF `number`; for the text format,
 * whose values follow Go's ParseFloat, it leaves out only hexadecimal floats and `_` digit separators,
 * which no exporter writes.
 */

const plus = 43;
const minus = 45;
const dot = 46;
const zero = 48;
const nine = 57;
const powersOfTen = Array.from({ length: 16 }, (_, k) => 10 ** k);

/** Parses the value token `s[start, end)`; throws LineError naming the token when it is not a number. */
export function parseValue(s: string, start: number, end: number): number {
  let i = start;
  let c = s.charCodeAt(i);
  const negative = c === minus;
  if (negative || c === plus) c = s.charCodeAt(++i);
  // Fast path for `digits[.digits]` with at most 15 digits: the digits as an integer are exact in a
  // double, so are powers of ten up to 1e22, and one IEEE division rounds correctly: the same double
  // Number() would give, without slicing a string for it.
  if (end - i <= 16 && i < end) {
    let value = 0;
    let digits = 0;
    let fraction = -1;
    let j = i;
    for (; j < end; j++) {
      const d = s.charCodeAt(j) - zero;
      if (d >= 0 && d <= 9) {
        value = value * 10 + d;
        digits++;
        if (fraction >= 0) fraction++;
      } else if (d === dot - zero && fraction < 0) {
        fraction = 0;
      } else {
        break;
      }
    }
    if (j === end && digits > 0 && digits <= 15) {
      if (fraction > 0) value /= powersOfTen[fraction]!;
      return negative ? -value : value;
    }
  }
  if (isDecimal(s, i, end)) return Number(s.slice(start, end));
  const word = s.slice(i, end).toLowerCase();
  if (word === 'inf' || word === 'infinity') return negative ? -Infinity : Infinity;
  if (word === 'nan' && i === start) return NaN;
  throw new LineError(`invalid value ${quote(s.slice(start, end))}`);
}

/** Parses a text-format timestamp: an integer number of milliseconds, optionally signed. */
export function parseTextTimestamp(s: string, start: number, end: number): number {
  let i = start;
  const c = s.charCodeAt(i);
  if (c === minus || c === plus) i++;
  if (i === end) throw new LineError(`invalid timestamp ${quote(s.slice(start, end))}: expected integer milliseconds`);
  for (let j = i; j < end; j++) {
    const d = s.charCodeAt(j);
    if (d < zero || d > nine) {
      throw new LineError(`invalid timestamp ${quote(s.slice(start, end))}: expected integer milliseconds`);
    }
  }
  return Number(s.slice(start, end));
}

/** Parses an OpenMetrics timestamp (seconds, a decimal float) and returns milliseconds. */
export function parseOpenMetricsTimestamp(s: string, start: number, end: number): number {
  let i = start;
  const c = s.charCodeAt(i);
  if (c === minus || c === plus) i++;
  if (!isDecimal(s, i, end)) {
    throw new LineError(`invalid timestamp ${quote(s.slice(start, end))}: expected seconds as a decimal number`);
  }
  // Rounding absorbs the binary error of seconds * 1000 (1520879607.789 * 1000 is ...789.0002).
  return Math.round(Number(s.slice(start, end)) * 1000);
}

/** Whether `s[i, end)` is `digits [. digits] [e [+-] digits]` with at least one mantissa digit. */
function isDecimal(s: string, i: number, end: number): boolean {
  let digits = 0;
  while (i < end && isDigit(s.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < end && s.charCodeAt(i) === dot) {
    i++;
    while (i < end && isDigit(s.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return false;
  if (i === end) return true;
  const e = s.charCodeAt(i);
  if (e !== 101 && e !== 69) return false;
  i++;
  const sign = s.charCodeAt(i);
  if (sign === plus || sign === minus) i++;
  if (i === end) return false;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  return i === end;
}

function isDigit(c: number): boolean {
  return c >= zero && c <= nine;
}
