/**
 * Formats values the way Grafana's unit ids do, for the axes and stat values of the PNG renderer. Covers the
 * units watchkeeper's dashboards use; any other id is drawn as a plain number with the id appended.
 */

const binary = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const decimal = ['', 'k', 'M', 'G', 'T', 'P'];

let extraDigits = 0;

/** `value` with 3 significant digits (more inside {@link formatDistinct}), trailing zeros dropped. */
function digits(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const places = Math.max(0, 2 - Math.floor(Math.log10(abs))) + extraDigits;
  const text = abs >= 1e-3 ? value.toFixed(Math.min(places, 20)) : value.toPrecision(2 + extraDigits);
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * Formats several values (the ticks of an axis) with the fewest extra digits that tell them apart, so a narrow
 * range does not show the same label on every tick.
 */
export function formatDistinct(values: number[], unit: string): string[] {
  let labels: string[] = [];
  for (extraDigits = 0; extraDigits <= 6; extraDigits += 1) {
    labels = values.map((v) => formatValue(v, unit));
    if (new Set(labels).size === labels.length) break;
  }
  extraDigits = 0;
  return labels;
}

/** A value scaled by powers of `base` with the matching prefix. */
function scaled(value: number, base: number, prefixes: string[], suffix: string): string {
  let v = value;
  let i = 0;
  while (Math.abs(v) >= base && i < prefixes.length - 1) {
    v /= base;
    i += 1;
  }
  return `${digits(v)}${prefixes[i]!.length > 0 || suffix.length > 0 ? ' ' : ''}${prefixes[i]}${suffix}`.trimEnd();
}

/** Seconds as ms, s, min, h or days. */
function duration(seconds: number): string {
  const abs = Math.abs(seconds);
  if (abs === 0) return '0 s';
  if (abs < 1e-3) return `${digits(seconds * 1e6)} µs`;
  if (abs < 1) return `${digits(seconds * 1e3)} ms`;
  if (abs < 60) return `${digits(seconds)} s`;
  if (abs < 3600) return `${digits(seconds / 60)} min`;
  if (abs < 86_400) return `${digits(seconds / 3600)} h`;
  return `${digits(seconds / 86_400)} days`;
}

/** The text of `value` in Grafana unit `unit` (e.g. percentunit, bytes, s, short, Bps, reqps). */
export function formatValue(value: number, unit: string): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  switch (unit) {
    case 'percentunit':
      return `${digits(value * 100)} %`;
    case 'percent':
      return `${digits(value)} %`;
    case 'bytes':
      return scaled(value, 1024, binary, '');
    case 'Bps':
      return `${scaled(value, 1024, binary, '')}/s`;
    case 's':
      return duration(value);
    case 'ms':
      return duration(value / 1000);
    case 'reqps':
      return scaled(value, 1000, decimal, 'req/s');
    case 'ops':
      return scaled(value, 1000, decimal, 'ops/s');
    case 'pps':
      return scaled(value, 1000, decimal, 'p/s');
    case 'bool_yes_no':
      return value === 0 ? 'No' : 'Yes';
    case 'dateTimeFromNow':
      return duration(Date.now() / 1000 - value) + ' ago';
    case 'short':
    case 'none':
    case '':
      return scaled(value, 1000, decimal, '');
    default:
      return `${scaled(value, 1000, decimal, '')} ${unit}`;
  }
}
