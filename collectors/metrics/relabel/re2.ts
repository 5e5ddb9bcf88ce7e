/**
 * Prometheus regular expressions (Go's RE2 syntax) run on JavaScript's RegExp engine.
 *
 * A pattern is translated token by token into the JavaScript syntax (unicode mode) that means the same thing,
 * and anything JavaScript would read differently, or RE2 does not accept, is rejected with an error naming the
 * construct and its position. Translations: `(?P<n>…)` → `(?<n>…)`; `\s` → `[\t\n\f\r ]` (RE2's ASCII space);
 * `\A` / `\z`; `\Q…\E` quoting; `\x{…}`; POSIX classes `[[:alpha:]]`; escaped punctuation; braces that are not a
 * repetition are literals; `(?i)` at the very start. Rejected: backreferences and octal escapes, lookaround,
 * `(?U)` and flags elsewhere than at the start, `\C`, `\S` inside a class, repetition counts above 1000, negated POSIX
 * classes, capture group names that start with a digit or repeat (JavaScript cannot name them). Checked against Go's
 * regexp package in test/integration/metrics-relabel-go-regexp.test.ts.
 * JavaScript's RegExp backtracks where RE2 does not: a pattern with nested repetition can be slow on hostile
 * values; the patterns come from the operator's configuration, the values from discovery.
 */

/** A pattern RE2 or the translation does not accept. */
export class Re2SyntaxError extends Error {
  /** Stable error code. */
  readonly code = 'RE2_SYNTAX';
  /** The pattern as configured. */
  readonly pattern: string;
  /** Offset in the pattern where the problem is. */
  readonly position: number;
  constructor(pattern: string, position: number, reason: string) {
    super(`invalid regex ${JSON.stringify(pattern)} at offset ${position}: ${reason}`);
    this.name = 'Re2SyntaxError';
    this.pattern = pattern;
    this.position = position;
  }
}

const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const re2Space = '\\t\\n\\f\\r ';
const maxRepeat = 1000;
const flagChars = /^[ims-]*$/;

/** Translates one RE2 pattern into JavaScript RegExp source (for the `u` flag). */
export function translateRe2(pattern: string): string {
  return new Translator(pattern).run();
}

/** Compiles a Prometheus relabel regex: fully anchored, `.` matching newlines too, as Prometheus does. */
export function compileAnchoredRe2(pattern: string): RegExp {
  const source = translateRe2(pattern);
  try {
    return new RegExp(`^(?:${source})$`, 'su');
  } catch (error) {
    throw new Re2SyntaxError(
      pattern,
      0,
      error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error),
    );
  }
}

class Translator {
  private i = 0;
  private out = '';
  private readonly groupNames = new Set<string>();
  /** Whether the last token emitted can take a repetition operator. */
  private repeatable = false;
  /** Open groups, so a stray `)` cannot close the wrapper the pattern is put in. */
  private depth = 0;

  private readonly src: string;

  constructor(src: string) {
    this.src = src;
  }

  run(): string {
    const leading = /^\(\?([a-zA-Z-]+)\)/.exec(this.src);
    let close = '';
    if (leading) {
      const flags = leading[1] ?? '';
      this.checkFlags(flags, 0);
      this.out = `(?${flags}:`;
      close = ')';
      this.i = leading[0].length;
    }
    while (this.i < this.src.length) this.token();
    if (this.depth > 0) this.fail('missing closing )', this.src.length);
    return this.out + close;
  }

  private fail(reason: string, at = this.i): never {
    throw new Re2SyntaxError(this.src, at, reason);
  }

  private checkFlags(flags: string, at: number): void {
    if (flags.includes('U')) this.fail('the ungreedy flag (?U) has no JavaScript equivalent', at);
    if (!flagChars.test(flags)) this.fail(`unknown flags "${flags}"`, at);
  }

  private token(): void {
    const c = this.src[this.i] ?? '';
    switch (c) {
      case '\\':
        this.out += this.escape(false);
        this.repeatable = true;
        return;
      case '[':
        this.out += this.charClass();
        this.repeatable = true;
        return;
      case '(':
        this.group();
        return;
      case ')':
        if (this.depth === 0) this.fail('unexpected )');
        this.depth--;
        this.out += ')';
        this.i++;
        this.repeatable = true;
        return;
      case '{':
        this.brace();
        return;
      case '}':
      case ']':
        this.out += `\\${c}`;
        this.i++;
        this.repeatable = true;
        return;
      case '*':
      case '+':
      case '?':
        if (!this.repeatable) this.fail(`missing argument to repetition operator ${c}`);
        this.out += c;
        this.i++;
        if (this.src[this.i] === '?') {
          this.out += '?';
          this.i++;
        }
        if ('*+?{'.includes(this.src[this.i] ?? '') && this.src[this.i] !== undefined) {
          if (this.src[this.i] !== '{' || this.quantifierAt(this.i)) this.fail('invalid nested repetition operator');
        }
        this.repeatable = false;
        return;
      case '|':
      case '^':
      case '$':
        this.out += c;
        this.i++;
        this.repeatable = c !== '|';
        return;
      default: {
        const cp = this.src.codePointAt(this.i) ?? 0;
        const ch = String.fromCodePoint(cp);
        this.out += ch;
        this.i += ch.length;
        this.repeatable = true;
      }
    }
  }

  private quantifierAt(at: number): RegExpExecArray | null {
    return /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(at));
  }

  private brace(): void {
    const m = this.quantifierAt(this.i);
    if (!m) {
      this.out += '\\{';
      this.i++;
      this.repeatable = true;
      return;
    }
    if (!this.repeatable) this.fail('missing argument to repetition operator {');
    const min = Number(m[1]);
    const max = m[3] ? Number(m[3]) : min;
    if (min > maxRepeat || max > maxRepeat) this.fail(`repetition count above ${maxRepeat}`);
    if (m[3] && max < min) this.fail('invalid repeat count (max below min)');
    this.out += m[0];
    this.i += m[0].length;
    if (this.src[this.i] === '?') {
      this.out += '?';
      this.i++;
    }
    const next = this.src[this.i];
    if (next !== undefined && ('*+?'.includes(next) || this.quantifierAt(this.i))) {
      this.fail('invalid nested repetition operator');
    }
    this.repeatable = false;
  }

  private group(): void {
    const start = this.i;
    this.depth++;
    if (this.src[this.i + 1] !== '?') {
      this.out += '(';
      this.i++;
      this.repeatable = false;
      return;
    }
    const rest = this.src.slice(this.i);
    const named = /^\(\?P?<([^>]*)>/.exec(rest);
    if (named) {
      const name = named[1] ?? '';
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        this.fail(`invalid or unsupported capture group name "${name}"`, start);
      if (this.groupNames.has(name)) this.fail(`duplicate capture group name "${name}"`, start);
      this.groupNames.add(name);
      this.out += `(?<${name}>`;
      this.i += named[0].length;
      this.repeatable = false;
      return;
    }
    const flagged = /^\(\?([a-zA-Z-]*)(:|\))/.exec(rest);
    if (flagged && flagged[2] === ':') {
      if (flagged[1]) this.checkFlags(flagged[1], start);
      this.out += flagged[0];
      this.i += flagged[0].length;
      this.repeatable = false;
      return;
    }
    if (flagged) this.fail('flags (?…) are only supported at the start of the pattern or as (?flags:…)', start);
    this.fail('lookaround and other (?…) groups are not supported by RE2', start);
  }

  /** Reads one escape at `this.i` (a backslash); returns its JavaScript form. */
  private escape(inClass: boolean): string {
    const at = this.i;
    const c = this.src[this.i + 1];
    if (c === undefined) this.fail('trailing backslash', at);
    this.i += 2;
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
        return `\\${c}`;
      case 'b':
      case 'B':
        if (inClass) this.fail(`\\${c} is not allowed in a character class`, at);
        return `\\${c}`;
      case 's':
        return inClass ? re2Space : `[${re2Space}]`;
      case 'S':
        if (inClass) this.fail('\\S inside a character class is not supported; use [^\\t\\n\\f\\r ]', at);
        return `[^${re2Space}]`;
      case 'A':
        if (inClass) this.fail('\\A in a character class', at);
        return '(?<![\\s\\S])';
      case 'z':
        if (inClass) this.fail('\\z in a character class', at);
        return '(?![\\s\\S])';
      case 'a':
        return '\\x07';
      case 'f':
      case 't':
      case 'n':
      case 'r':
      case 'v':
        return `\\${c}`;
      case 'x':
        return this.hexEscape(at);
      case 'p':
      case 'P':
        return this.unicodeClass(c, at);
      case 'Q': {
        const end = this.src.indexOf('\\E', this.i);
        const literal = end === -1 ? this.src.slice(this.i) : this.src.slice(this.i, end);
        this.i = end === -1 ? this.src.length : end + 2;
        return [...literal]
          .map((ch) => (/[A-Za-z0-9\s]/.test(ch) || ch.codePointAt(0)! > 0x7f ? ch : hex(ch)))
          .join('');
      }
      case 'E':
        return '';
      case 'C':
        this.fail('\\C (any byte) is not supported', at);
    }
    if (c >= '0' && c <= '9')
      this.fail(`backreferences and octal escapes (\\${c}) are not supported; write \\x{..}`, at);
    if (c.charCodeAt(0) < 0x80 && !/[A-Za-z0-9]/.test(c)) return hex(c);
    return this.fail(`invalid escape \\${c}`, at);
  }

  private hexEscape(at: number): string {
    const braced = /^\{([0-9A-Fa-f]{1,8})\}/.exec(this.src.slice(this.i));
    const plain = /^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.i));
    const digits = braced?.[1] ?? plain?.[0];
    if (!digits) return this.fail('invalid \\x escape', at);
    const cp = parseInt(digits, 16);
    if (cp > 0x10ffff) this.fail('\\x escape above U+10FFFF', at);
    this.i += (braced ?? plain)![0].length;
    return `\\u{${cp.toString(16)}}`;
  }

  private unicodeClass(c: 'p' | 'P', at: number): string {
    let name: string;
    if (this.src[this.i] === '{') {
      const end = this.src.indexOf('}', this.i);
      if (end === -1) this.fail('unterminated \\p{', at);
      name = this.src.slice(this.i + 1, end);
      this.i = end + 1;
    } else {
      name = this.src[this.i] ?? '';
      this.i++;
    }
    let negate = c === 'P';
    if (name.startsWith('^')) {
      negate = !negate;
      name = name.slice(1);
    }
    if (!/^[A-Za-z_]+$/.test(name)) this.fail(`invalid unicode class name "${name}"`, at);
    const property = name === 'Any' ? 'Any' : /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`;
    const js = `\\${negate ? 'P' : 'p'}{${property}}`;
    try {
      new RegExp(js, 'u');
    } catch {
      this.fail(`unknown unicode class "${name}"`, at);
    }
    return js;
  }

  private charClass(): string {
    const start = this.i;
    this.i++;
    let out = '[';
    if (this.src[this.i] === '^') {
      out += '^';
      this.i++;
    }
    let first = true;
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) this.fail('missing closing ]', start);
      if (c === ']' && !first) {
        this.i++;
        return out + ']';
      }
      first = false;
      if (c === '[' && this.src[this.i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.i));
        if (m) {
          const ranges = posixClasses[m[2] ?? ''];
          if (!ranges) this.fail(`unknown POSIX class [:${m[2] ?? ''}:]`, this.i);
          if (m[1]) this.fail('negated POSIX classes [:^…:] are not supported', this.i);
          out += ranges;
          this.i += m[0].length;
          continue;
        }
      }
      if (c === '\\') {
        out += this.escape(true);
        continue;
      }
      if (c === '[' || c === ']' || c === '{' || c === '}' || c === '(' || c === ')' || c === '|' || c === '/') {
        out += `\\${c}`;
        this.i++;
        continue;
      }
      const ch = String.fromCodePoint(this.src.codePointAt(this.i) ?? 0);
      out += ch;
      this.i += ch.length;
    }
  }
}

function hex(ch: string): string {
  return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
