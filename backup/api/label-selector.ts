import { WatchkeeperError } from '../../core/errors.ts';

/** One requirement of a label selector, as Kubernetes defines them. */
export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

/** A parsed label selector: every requirement must hold (an empty selector matches everything). */
export interface LabelSelector {
  /** The selector as the user wrote it. */
  text: string;
  requirements: Requirement[];
}

// Label keys: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters.
const keyPattern =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const valuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * Parses a label selector in kubectl's syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`,
 * `a`, `!a`, joined by commas. Throws a usage error that names the selector, the position and
 * what was expected.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const requirements: Requirement[] = [];
  let pos = 0;
  const fail = (expected: string): never => {
    const found = pos >= text.length ? 'the end' : `"${text.slice(pos, pos + 12)}"`;
    throw new WatchkeeperError(
      'usage',
      `label selector "${text}": at position ${pos + 1}, expected ${expected}, found ${found}`,
    );
  };
  const skipSpace = (): void => {
    while (pos < text.length && text[pos] === ' ') pos++;
  };
  const word = (): string => {
    const start = pos;
    while (pos < text.length && /[A-Za-z0-9_.\-/]/.test(text[pos]!)) pos++;
    return text.slice(start, pos);
  };
  const checkKey = (key: string, at: number): void => {
    if (!keyPattern.test(key) || key.split('/')[0]!.length > 253) {
      pos = at;
      fail('a label key such as "app" or "example.com/tier"');
    }
  };
  const checkValue = (value: string, at: number): void => {
    if (!valuePattern.test(value)) {
      pos = at;
      fail('a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)');
    }
  };
  skipSpace();
  if (pos === text.length) return { text, requirements };
  for (;;) {
    skipSpace();
    if (text[pos] === '!') {
      pos++;
      skipSpace();
      const at = pos;
      const key = word();
      checkKey(key, at);
      requirements.push({ key, op: 'notexists' });
    } else {
      const at = pos;
      const key = word();
      checkKey(key, at);
      skipSpace();
      if (text.startsWith('==', pos) || text.startsWith('!=', pos) || text[pos] === '=') {
        const op = text.startsWith('!=', pos) ? 'neq' : 'eq';
        pos += text.startsWith('==', pos) || text.startsWith('!=', pos) ? 2 : 1;
        skipSpace();
        const valueAt = pos;
        const value = word();
        checkValue(value, valueAt);
        requirements.push({ key, op, value });
      } else if (/^(in|notin)\s*\(/.test(text.slice(pos))) {
        const op = text.startsWith('notin', pos) ? 'notin' : 'in';
        pos += op.length;
        skipSpace();
        pos++; // "("
        const values: string[] = [];
        for (;;) {
          skipSpace();
          const valueAt = pos;
          const value = word();
          checkValue(value, valueAt);
          values.push(value);
          skipSpace();
          if (text[pos] === ',') {
            pos++;
            continue;
          }
          if (text[pos] === ')') {
            pos++;
            break;
          }
          fail('"," or ")" in a value list');
        }
        requirements.push({ key, op, values });
      } else if (pos === text.length || text[pos] === ',') {
        requirements.push({ key, op: 'exists' });
      } else {
        fail('"=", "==", "!=", "in (...)", "notin (...)", "," or the end');
      }
    }
    skipSpace();
    if (pos === text.length) return { text, requirements };
    if (text[pos] !== ',') fail('"," between requirements');
    pos++;
  }
}

/** True when the labels satisfy every requirement of the selector. */
export function matchesSelector(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  return selector.requirements.every((r) => {
    const value = labels?.[r.key];
    switch (r.op) {
      case 'eq':
        return value === r.value;
      case 'neq':
        return value !== r.value;
      case 'in':
        return value !== undefined && r.values.includes(value);
      case 'notin':
        return value === undefined || !r.values.includes(value);
      case 'exists':
        return value !== undefined;
      case 'notexists':
        return value === undefined;
    }
    return false;
  });
}

/** True when any of the selectors matches (an OR); no selectors match everything. */
export function matchesAny(selectors: readonly LabelSelector[], labels: Record<string, string> | undefined): boolean {
  return selectors.length === 0 || selectors.some((s) => matchesSelector(s, labels));
}

/** The selector in the canonical syntax the API server accepts in `labelSelector=`. */
export function formatSelector(selector: LabelSelector): string {
  return selector.requirements
    .map((r) => {
      switch (r.op) {
        case 'eq':
          return `${r.key}=${r.value}`;
        case 'neq':
          return `${r.key}!=${r.value}`;
        case 'in':
          return `${r.key} in (${r.values.join(',')})`;
        case 'notin':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'exists':
          return r.key;
        case 'notexists':
          return `!${r.key}`;
      }
      return '';
    })
    .join(',');
}
