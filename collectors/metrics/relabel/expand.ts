/**
 * Go's regexp.Expand, as Prometheus uses it for `replacement` and `target_label`: `$1` and `${1}` are groups by
 * number, `$name` and `${name}` by name, `$$` is a dollar. A name is the longest run of letters, digits and
 * underscores, so `$1x` means the group named `1x` (empty), as in Go; write `${1}x`. Unknown or unmatched groups
 * expand to nothing; a `$` not followed by a name stays as it is.
 */

/** A replacement template parsed once: literal text and group references in order. */
export type Template = readonly (string | { group: number } | { name: string })[];

const nameChar = /[\p{L}\p{Nd}_]/u;

/** Parses a template; groups are referred to by number when the name is a number without a leading zero. */
export function parseTemplate(template: string): Template {
  const parts: (string | { group: number } | { name: string })[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c !== '$') {
      literal += c;
      i++;
      continue;
    }
    if (template[i + 1] === '$') {
      literal += '$';
      i += 2;
      continue;
    }
    const ref = readName(template, i + 1);
    if (!ref) {
      literal += '$';
      i++;
      continue;
    }
    if (literal) {
      parts.push(literal);
      literal = '';
    }
    parts.push(/^(0|[1-9]\d{0,7})$/.test(ref.name) ? { group: Number(ref.name) } : { name: ref.name });
    i = ref.end;
  }
  if (literal) parts.push(literal);
  return parts;
}

/** Whether expanding the template can depend on the match (it has a group reference). */
export function hasReferences(template: Template): boolean {
  return template.some((p) => typeof p !== 'string');
}

/** Expands a parsed template against a match. */
export function expandTemplate(template: Template, match: RegExpExecArray): string {
  if (template.length === 1 && typeof template[0] === 'string') return template[0];
  let out = '';
  for (const part of template) {
    if (typeof part === 'string') out += part;
    else if ('group' in part) out += match[part.group] ?? '';
    else out += match.groups?.[part.name] ?? '';
  }
  return out;
}

function readName(template: string, start: number): { name: string; end: number } | undefined {
  const braced = template[start] === '{';
  let i = braced ? start + 1 : start;
  let name = '';
  while (i < template.length) {
    const ch = String.fromCodePoint(template.codePointAt(i) ?? 0);
    if (!nameChar.test(ch)) break;
    name += ch;
    i += ch.length;
  }
  if (!name) return undefined;
  if (braced) {
    if (template[i] !== '}') return undefined;
    i++;
  }
  return { name, end: i };
}
