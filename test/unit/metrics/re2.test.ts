import { describe, expect, it } from 'vitest';
import { compileAnchoredRe2, Re2SyntaxError } from '../../../collectors/metrics/relabel/re2.ts';
import { expandTemplate, parseTemplate } from '../../../collectors/metrics/relabel/expand.ts';

function matches(pattern: string, value: string): boolean {
  return compileAnchoredRe2(pattern).test(value);
}

function rejection(pattern: string): string {
  try {
    compileAnchoredRe2(pattern);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(Re2SyntaxError);
    return (error as Error).message;
  }
}

describe('RE2 patterns on JavaScript RegExp', () => {
  it('translates RE2-only syntax to the same meaning', () => {
    expect(compileAnchoredRe2('(?P<host>[^:]+):(?P<port>\\d+)').exec('a:1')?.groups).toEqual({ host: 'a', port: '1' });
    expect(matches('(?i)foo|bar', 'BAR')).toBe(true);
    expect(matches('[[:alpha:]]+[[:digit:]]', 'abc1')).toBe(true);
    expect(matches('[[:alpha:]]+', 'ab1')).toBe(false);
    expect(matches('\\Qa.b*\\E', 'a.b*')).toBe(true);
    expect(matches('\\Qa.b*\\E', 'aXbb')).toBe(false);
    expect(matches('\\x{263A}\\x41', '☺A')).toBe(true);
    expect(matches('\\-\\#\\!\\:', '-#!:')).toBe(true);
    expect(matches('a{,2}', 'a{,2}')).toBe(true);
    expect(matches('x{2}', 'xx')).toBe(true);
    expect(matches('[]a]+', ']a]')).toBe(true);
    expect(matches('\\pL\\p{Greek}', 'aα')).toBe(true);
    expect(matches('\\Aab\\z', 'ab')).toBe(true);
  });

  it("keeps RE2's ASCII \\s where JavaScript's would match more", () => {
    expect(matches('a\\sb', 'a b')).toBe(true);
    expect(matches('a\\sb', 'a\u00a0b')).toBe(false);
    expect(matches('a\\Sb', 'a\u00a0b')).toBe(true);
    expect(matches('a[\\s]b', 'a\u2028b')).toBe(false);
  });

  it('rejects what RE2 rejects or JavaScript would read differently', () => {
    expect(rejection('(a)\\1')).toContain('backreferences');
    expect(rejection('(?=a)a')).toContain('lookaround');
    expect(rejection('a(?i)b')).toContain('flags');
    expect(rejection('(?U)a+')).toContain('ungreedy');
    expect(rejection('a{1001}')).toContain('above 1000');
    expect(rejection('a**')).toContain('nested repetition');
    expect(rejection('*a')).toContain('missing argument');
    expect(rejection('a)(')).toContain('unexpected )');
    expect(rejection('[a')).toContain('missing closing ]');
    expect(rejection('\\k')).toContain('invalid escape');
    expect(rejection('[\\S]')).toContain('\\S inside a character class');
    expect(rejection('\\C')).toContain('any byte');
    expect(rejection('(?P<1a>x)')).toContain('capture group name');
  });
});

describe('replacement templates (Go regexp.Expand)', () => {
  const match = /^(?<word>[a-z]+)-(\d+)$/u.exec('abc-42')!;
  it.each([
    ['$1', 'abc'],
    ['${1}', 'abc'],
    ['$2$1', '42abc'],
    ['$word', 'abc'],
    ['${word}!', 'abc!'],
    ['$1x', ''],
    ['${1}x', 'abcx'],
    ['$$', '$'],
    ['$', '$'],
    ['${', '${'],
    ['${1', '${1'],
    ['$0', 'abc-42'],
    ['$01', ''],
    ['$-', '$-'],
    ['plain', 'plain'],
    ['$7', ''],
  ])('%s expands to %s', (template, expected) => {
    expect(expandTemplate(parseTemplate(template), match)).toBe(expected);
  });
});
