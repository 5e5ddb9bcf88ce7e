import type { ExpositionFormat } from '../../types.ts';

const openMetricsOnlyTypes = new Set(['info', 'stateset', 'gaugehistogram', 'unknown']);

/**
 * Guesses the format of a body from what it says about itself, for inputs that come without a
 * Content-Type (files, stdin). `head` is the start of the body; `lastLine` its last non-empty line
 * when known (a whole body in `head`, or a regular file's tail). OpenMetrics when any of these hold,
 * else the text format:
 * - the last line is `# EOF` (OpenMetrics requires it; the text format has no reason to write it);
 * - the head has a `# EOF` or `# UNIT` line, or a `# TYPE` of a type only OpenMetrics has (info,
 *   stateset, gaugehistogram, unknown);
 * - the head declares a counter `foo` (no `_total`) and then has a sample `foo_total`: OpenMetrics
 *   names counter families without the suffix, the text format names the family after its sample.
 */
export function detectFormat(head: string, lastLine?: string): ExpositionFormat {
  if (lastLine?.trimEnd() === '# EOF') return 'openmetrics';
  const counters = new Set<string>();
  for (const line of head.split('\n')) {
    if (line === '# EOF' || line.startsWith('# UNIT ')) return 'openmetrics';
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (type !== undefined && openMetricsOnlyTypes.has(type)) return 'openmetrics';
      if (type === 'counter' && name !== undefined && !name.endsWith('_total')) counters.add(name);
      continue;
    }
    if (counters.size === 0 || line.startsWith('#')) continue;
    const nameEnd = line.search(/[{ \t]/);
    const name = nameEnd === -1 ? line : line.slice(0, nameEnd);
    if (name.endsWith('_total') && counters.has(name.slice(0, -'_total'.length))) return 'openmetrics';
  }
  return 'text';
}
