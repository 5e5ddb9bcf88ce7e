/**
 * Character classes of metric and label names, as lookup tables on char codes (a regex per name
 * would cost more than the rest of a sample line). Metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*`; label
 * names: `[a-zA-Z_][a-zA-Z0-9_]*` (prometheus.io "Data model"; OpenMetrics 1.0 ABNF).
 */

const metricStart = 1;
const metricChar = 2;
const labelStart = 4;
const labelChar = 8;

const table = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  const digit = c >= 48 && c <= 57;
  const underscore = c === 95;
  const colon = c === 58;
  table[c] =
    (letter || underscore || colon ? metricStart : 0) |
    (letter || underscore || colon || digit ? metricChar : 0) |
    (letter || underscore ? labelStart : 0) |
    (letter || underscore || digit ? labelChar : 0);
}

/** Whether char code `c` may start a metric name. */
export function isMetricNameStart(c: number): boolean {
  return c < 128 && (table[c]! & metricStart) !== 0;
}

/** Whether char code `c` may appear in a metric name after its first character. */
export function isMetricNameChar(c: number): boolean {
  return c < 128 && (table[c]! & metricChar) !== 0;
}

/** Whether char code `c` may start a label name. */
export function isLabelNameStart(c: number): boolean {
  return c < 128 && (table[c]! & labelStart) !== 0;
}

/** Whether char code `c` may appear in a label name after its first character. */
export function isLabelNameChar(c: number): boolean {
  return c < 128 && (table[c]! & labelChar) !== 0;
}

/** Whether `name` is a valid metric name. */
export function isMetricName(name: string): boolean {
  if (name.length === 0 || !isMetricNameStart(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) if (!isMetricNameChar(name.charCodeAt(i))) return false;
  return true;
}

/**
 * The internalized (flat, unique) copy of a name. A name sliced from a chunk is a view into that
 * chunk's string: comparing with it goes through the view, and each use as a property key costs a
 * string-table lookup. The parser keeps names from line to line, so it interns them once when they
 * change (property keys are always interned; Object.keys hands back that copy).
 */
export function interned(name: string): string {
  return Object.keys({ [name]: true })[0]!;
}
