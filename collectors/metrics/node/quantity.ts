/**
 * Kubernetes resource quantities (`100m`, `1.5`, `512Mi`, `2Gi`, `1e3`, `1k`) as numbers: cores for CPU, bytes
 * for memory and storage, counts otherwise. Returns undefined for text that is not a quantity.
 */
const suffixes: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a quantity string. */
export function parseQuantity(text: string): number | undefined {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(text.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) {
    const exponent = Number(m[2].slice(1));
    return exponent < 0 ? base / 10 ** -exponent : base * 10 ** exponent;
  }
  const factor = suffixes[m[3] ?? ''] ?? 1;
  // Dividing by 1000 keeps 3800m at 3.8 where multiplying by 1e-3 gives 3.8000000000000003.
  return factor < 1 ? base / Math.round(1 / factor) : base * factor;
}
