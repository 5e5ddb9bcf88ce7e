/**
 * Lower- and upper-casing as Go's strings.ToLower/ToUpper do it (Prometheus' lowercase and uppercase actions):
 * one code point maps to one code point. JavaScript's toLowerCase/toUpperCase apply the special casings that
 * grow a string ("ß" → "SS", "İ" → "i̇") or depend on context (a final "Σ" → "ς"); those keep Go's mapping.
 */

/** Go's simple mappings that differ from JavaScript's full ones. */
const goLower: Record<string, string> = { '\u0130': 'i' };

/** strings.ToLower. */
export function goToLower(value: string): string {
  const fast = value.toLowerCase();
  if (fast.length === value.length && !/[\u0130\u03a3]/.test(value)) return fast;
  return mapEach(value, (ch) => goLower[ch] ?? ch.toLowerCase());
}

/** strings.ToUpper. */
export function goToUpper(value: string): string {
  const fast = value.toUpperCase();
  if (fast.length === value.length) return fast;
  return mapEach(value, (ch) => ch.toUpperCase());
}

function mapEach(value: string, map: (ch: string) => string): string {
  let out = '';
  for (const ch of value) {
    const mapped = map(ch);
    out += [...mapped].length === 1 ? mapped : ch;
  }
  return out;
}
