import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { ExpositionParser } from '../../../../collectors/metrics/scrape/parse/parser.ts';
import { ExpositionParseError, type ExpositionFormat } from '../../../../collectors/metrics/types.ts';
import { collect } from './collect.ts';

interface ErrorCase {
  what: string;
  body: string | Buffer;
  line: number;
  reason: string;
}

const textCases: ErrorCase[] = [
  {
    what: 'label name missing',
    line: 2,
    body: 'a 1\nb{ 2\n',
    reason: 'invalid label name: unexpected character "2" at its start',
  },
  { what: 'value missing', body: 'a 1\nfoo\n', line: 2, reason: 'missing value' },
  { what: 'value not a number', body: 'foo abc\n', line: 1, reason: 'invalid value "abc"' },
  { what: 'hexadecimal value', body: 'foo 0x1F\n', line: 1, reason: 'invalid value "0x1F"' },
  { what: 'signed NaN', body: 'foo -NaN\n', line: 1, reason: 'invalid value "-NaN"' },
  { what: 'exponent without digits', body: 'foo 1e\n', line: 1, reason: 'invalid value "1e"' },
  {
    what: 'timestamp not a number',
    line: 1,
    body: 'foo 1 abc\n',
    reason: 'invalid timestamp "abc": expected integer milliseconds',
  },
  {
    what: 'timestamp with a fraction',
    line: 1,
    body: 'foo 1 1.5\n',
    reason: 'invalid timestamp "1.5": expected integer milliseconds',
  },
  {
    what: 'a token after the timestamp',
    line: 1,
    body: 'foo 1 2 3\n',
    reason: 'unexpected "3" at the end of the line',
  },
  {
    what: 'an exemplar',
    line: 1,
    body: 'foo 1 # {a="b"} 1\n',
    reason: 'unexpected "# {a=\\"b\\"} 1" after the sample (exemplars exist only in OpenMetrics)',
  },
  { what: 'duplicate label name', body: 'foo{a="1",a="2"} 1\n', line: 1, reason: 'duplicate label name "a"' },
  {
    what: 'unterminated label value',
    line: 1,
    body: 'foo{a="1} 1\n',
    reason: 'unterminated value of label "a": no closing double quote',
  },
  {
    what: 'escaped quote ends nothing',
    line: 1,
    body: 'foo{a="1\\"} 1\n',
    reason: 'unterminated label value: no closing double quote',
  },
  {
    what: 'label set not closed',
    line: 1,
    body: 'foo{a="1" 1\n',
    reason: 'expected "," or "}" after the value of label "a", found "1"',
  },
  {
    what: 'unquoted label value',
    line: 1,
    body: 'foo{a=1} 1\n',
    reason: 'expected a double-quoted value for label "a"',
  },
  { what: 'label without value', body: 'foo{a} 1\n', line: 1, reason: 'expected "=" after label name "a", found "}"' },
  {
    what: 'label name starting with a digit',
    line: 1,
    body: 'foo{9a="x"} 1\n',
    reason: 'invalid label name: unexpected character "9" at its start',
  },
  {
    what: 'label name with a dot',
    line: 1,
    body: 'foo{a.b="x"} 1\n',
    reason: 'expected "=" after label name "a", found "."',
  },
  {
    what: 'metric name starting with a digit',
    line: 1,
    body: '1foo 1\n',
    reason: 'invalid metric name: unexpected character "1" at its start',
  },
  {
    what: 'metric name with a dash',
    line: 1,
    body: 'foo-bar 1\n',
    reason: 'unexpected character "-" before the value',
  },
  {
    what: 'quoted UTF-8 metric name',
    line: 1,
    body: '{"my.metric"} 1\n',
    reason: 'invalid metric name: unexpected character "{" at its start',
  },
  {
    what: 'second TYPE',
    line: 2,
    body: '# TYPE foo counter\n# TYPE foo gauge\n',
    reason: 'second # TYPE line for "foo"',
  },
  { what: 'second HELP', body: '# HELP foo a\n# HELP foo b\n', line: 2, reason: 'second # HELP line for "foo"' },
  {
    what: 'TYPE after samples',
    line: 2,
    body: 'foo 1\n# TYPE foo counter\n',
    reason: '# TYPE for "foo" comes after its samples',
  },
  {
    what: 'histogram TYPE after its buckets',
    line: 2,
    body: 'foo_bucket{le="1"} 1\n# TYPE foo histogram\n',
    reason: '# TYPE for "foo" comes after its samples',
  },
  {
    what: 'unknown type',
    line: 1,
    body: '# TYPE foo bogus\n',
    reason: 'unknown metric type "bogus" (allowed: counter, gauge, untyped, histogram, summary)',
  },
  {
    what: 'OpenMetrics-only type',
    line: 1,
    body: '# TYPE foo info\n',
    reason: 'unknown metric type "info" (allowed: counter, gauge, untyped, histogram, summary)',
  },
  { what: 'TYPE without type', body: '# TYPE foo\n', line: 1, reason: '# TYPE "foo" without a type' },
  {
    what: 'TYPE with extra words',
    line: 1,
    body: '# TYPE foo counter extra\n',
    reason: 'unexpected "extra" after # TYPE "foo" counter',
  },
  { what: 'HELP without a name', body: '# HELP\n', line: 1, reason: '# HELP without a metric name' },
  {
    what: 'TYPE with a bad name',
    line: 1,
    body: '# TYPE 9x gauge\n',
    reason: '# TYPE: invalid metric name: unexpected character "9" at its start',
  },
  {
    what: 'bucket without le',
    line: 2,
    body: '# TYPE foo histogram\nfoo_bucket 1\n',
    reason: 'histogram "foo" sample "foo_bucket" without a "le" label',
  },
  {
    what: 'le not a number',
    line: 2,
    body: '# TYPE foo histogram\nfoo_bucket{le="abc"} 1\n',
    reason: 'histogram "foo" sample "foo_bucket": "le" label "abc" is not a number',
  },
  {
    what: 'summary quantile missing',
    line: 2,
    body: '# TYPE foo summary\nfoo 1\n',
    reason: 'summary "foo" sample "foo" without a "quantile" label',
  },
  {
    what: 'histogram sample under the family name',
    line: 2,
    body: '# TYPE foo histogram\nfoo 1\n',
    reason: 'histogram "foo" has no sample named "foo" (expected foo_bucket, foo_count, foo_sum)',
  },
  {
    what: 'carriage return',
    line: 1,
    body: 'foo 1\r\n',
    reason: 'line ends with a carriage return: lines must end with a line feed alone',
  },
  {
    what: 'invalid UTF-8 byte',
    line: 2,
    body: Buffer.concat([Buffer.from('a 1\nb{x="'), Buffer.from([0xff]), Buffer.from('"} 1\n')]),
    reason: 'invalid UTF-8 byte 0xff at byte 6 of the line',
  },
  {
    what: 'overlong UTF-8 encoding',
    line: 1,
    body: Buffer.concat([Buffer.from('a{x="'), Buffer.from([0xc0, 0xaf]), Buffer.from('"} 1\n')]),
    reason: 'invalid UTF-8 byte 0xc0 at byte 6 of the line',
  },
  {
    what: 'UTF-8 surrogate',
    line: 3,
    body: Buffer.concat([Buffer.from('a 1\n\nb{x="'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"} 1\n')]),
    reason: 'invalid UTF-8 byte 0xed at byte 6 of the line',
  },
  {
    what: 'body ends inside a UTF-8 character',
    line: 1,
    body: Buffer.concat([Buffer.from('a{x="'), Buffer.from([0xe2, 0x82])]),
    reason: 'invalid UTF-8: the body ends inside a multi-byte character',
  },
  {
    what: 'an earlier error before invalid UTF-8 in the same chunk',
    line: 2,
    body: Buffer.concat([Buffer.from('a 1\nb x\nc{x="'), Buffer.from([0xff]), Buffer.from('"} 1\n')]),
    reason: 'invalid value "x"',
  },
];

const openMetricsCases: ErrorCase[] = [
  {
    what: 'missing # EOF',
    line: 3,
    body: '# TYPE a gauge\na 1\n',
    reason: 'missing "# EOF" at the end of the OpenMetrics body (truncated?)',
  },
  { what: 'empty body', body: '', line: 1, reason: 'missing "# EOF" at the end of the OpenMetrics body (truncated?)' },
  { what: 'a sample after # EOF', body: 'a 1\n# EOF\na 2\n', line: 3, reason: 'content after "# EOF"' },
  { what: 'an empty line after # EOF', body: 'a 1\n# EOF\n\n', line: 3, reason: 'content after "# EOF"' },
  { what: 'an empty line', body: 'a 1\n\n# EOF\n', line: 2, reason: 'empty line (OpenMetrics allows none)' },
  {
    what: 'a comment',
    line: 1,
    body: '# hello\n# EOF\n',
    reason: 'unexpected "# hello": OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF lines',
  },
  {
    what: 'two spaces',
    line: 1,
    body: 'a  1\n# EOF\n',
    reason: 'extra space before the value (OpenMetrics separates with exactly one space)',
  },
  {
    what: 'a trailing space',
    line: 1,
    body: 'a 1 \n# EOF\n',
    reason: 'extra space after the value (OpenMetrics separates with exactly one space)',
  },
  { what: 'a tab', body: 'a\t1\n# EOF\n', line: 1, reason: 'unexpected character "\\t" before the value' },
  {
    what: 'leading blanks',
    line: 1,
    body: ' a 1\n# EOF\n',
    reason: 'invalid metric name: unexpected character " " at its start',
  },
  {
    what: 'timestamp not a number',
    line: 1,
    body: 'a 1 abc\n# EOF\n',
    reason: 'invalid timestamp "abc": expected seconds as a decimal number',
  },
  {
    what: 'timestamp NaN',
    line: 1,
    body: 'a 1 NaN\n# EOF\n',
    reason: 'invalid timestamp "NaN": expected seconds as a decimal number',
  },
  {
    what: 'counter sample without _total',
    line: 2,
    body: '# TYPE c counter\nc 1\n# EOF\n',
    reason: 'counter "c" has no sample named "c" (expected c_total, c_created)',
  },
  {
    what: 'interleaved families',
    line: 5,
    body: '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF\n',
    reason: 'samples of family "a" are not together: another family came in between',
  },
  {
    what: 'histogram samples after another family',
    line: 4,
    body: '# TYPE h histogram\nh_count 1\nx 1\nh_sum 2\n# EOF\n',
    reason: 'samples of family "h" are not together: another family came in between',
  },
  {
    what: 'metadata after samples',
    line: 3,
    body: '# TYPE a gauge\na 1\n# HELP a x\n# EOF\n',
    reason: '# HELP for "a" comes after its samples',
  },
  {
    what: 'metadata of an ended family',
    line: 3,
    body: '# TYPE a gauge\n# TYPE b gauge\n# HELP a x\n# EOF\n',
    reason: '# HELP for "a" after that family ended: families must not be interleaved',
  },
  {
    what: 'second UNIT',
    line: 2,
    body: '# UNIT a_seconds seconds\n# UNIT a_seconds seconds\n# EOF\n',
    reason: 'second # UNIT line for "a_seconds"',
  },
  {
    what: 'unit not the name suffix',
    line: 2,
    body: '# TYPE a_seconds gauge\n# UNIT a_seconds bytes\n# EOF\n',
    reason: 'unit "bytes" is not the suffix of the family name "a_seconds"',
  },
  {
    what: 'bad escape in a label value',
    line: 1,
    body: 'a{x="\\t"} 1\n# EOF\n',
    reason: 'invalid escape sequence "\\t" (allowed: \\\\, \\" and \\n)',
  },
  {
    what: 'bad escape in HELP',
    line: 1,
    body: '# HELP a x\\qy\n# EOF\n',
    reason: 'invalid escape sequence "\\q" (allowed: \\\\, \\" and \\n)',
  },
  { what: 'backslash ending HELP', body: '# HELP a x\\\n# EOF\n', line: 1, reason: 'backslash at the end of a string' },
  {
    what: 'trailing comma in labels',
    line: 1,
    body: 'a{x="1",} 1\n# EOF\n',
    reason: 'invalid label name: unexpected character "}" at its start',
  },
  {
    what: 'blank inside labels',
    line: 1,
    body: 'a{x="1", y="2"} 1\n# EOF\n',
    reason: 'invalid label name: unexpected character " " at its start',
  },
  {
    what: 'exemplar without value',
    line: 2,
    body: '# TYPE c counter\nc_total 1 # {a="b"}\n# EOF\n',
    reason: 'line ends before the exemplar value',
  },
  {
    what: 'exemplar with a bad value',
    line: 2,
    body: '# TYPE c counter\nc_total 1 # {a="b"} x\n# EOF\n',
    reason: 'invalid value "x"',
  },
  {
    what: 'exemplar with bad labels',
    line: 2,
    body: '# TYPE c counter\nc_total 1 # {a=b} 1\n# EOF\n',
    reason: 'expected a double-quoted value for label "a"',
  },
  {
    what: 'garbage after the sample',
    line: 2,
    body: '# TYPE c counter\nc_total 1 #x\n# EOF\n',
    reason: 'unexpected "#x" after the sample (expected an exemplar " # {...} value")',
  },
  {
    what: 'stateset without its label',
    line: 2,
    body: '# TYPE s stateset\ns{x="a"} 1\n# EOF\n',
    reason: 'stateset "s" sample without a "s" label',
  },
  {
    what: 'untyped is text-only',
    line: 1,
    body: '# TYPE a untyped\n# EOF\n',
    reason:
      'unknown metric type "untyped" ' +
      '(allowed: counter, gauge, unknown, histogram, gaugehistogram, summary, info, stateset)',
  },
  {
    what: 'gaugehistogram bucket without le',
    line: 2,
    body: '# TYPE g gaugehistogram\ng_bucket 1\n# EOF\n',
    reason: 'gaugehistogram "g" sample "g_bucket" without a "le" label',
  },
];

function expectParseError(format: ExpositionFormat, chunks: Uint8Array[], line: number, reason: string): void {
  const { error } = collect(format, chunks);
  expect(error).toBeInstanceOf(ExpositionParseError);
  const parseError = error as ExpositionParseError;
  expect({ line: parseError.line, reason: parseError.reason }).toEqual({ line, reason });
  expect(parseError.message).toBe(`line ${line}: ${reason}`);
}

const formats = [
  ['text', textCases],
  ['openmetrics', openMetricsCases],
] as const;

describe.each(formats)('%s format errors', (format, cases) => {
  it.each(cases)('$what: line $line', ({ body, line, reason }) => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    expectParseError(format, [bytes], line, reason);
    // The same error at the same line however the body is split.
    for (let cut = 0; cut <= bytes.length; cut++) {
      expectParseError(format, [bytes.subarray(0, cut), bytes.subarray(cut)], line, reason);
    }
  });
});

describe('parser behaviour around errors and limits', () => {
  it('rejects a line longer than maxLineBytes as soon as it is too long, without waiting for its end', () => {
    const seen: string[] = [];
    const parser = new ExpositionParser('text', { sample: (s) => seen.push(s.name) }, { maxLineBytes: 64 });
    parser.write(Buffer.from('short 1\n'));
    let error: unknown;
    try {
      for (let i = 0; i < 1000; i++) parser.write(Buffer.from('x'.repeat(10)));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpositionParseError);
    expect((error as ExpositionParseError).line).toBe(2);
    expect((error as ExpositionParseError).reason).toBe('line longer than 64 bytes');
    expect(seen).toEqual(['short']);
  });

  it('stops a body that declares more families than maxFamilies, samples or metadata alike', () => {
    const helps = Array.from({ length: 11 }, (_, i) => `# HELP f_${i} x`).join('\n');
    const samples = Array.from({ length: 11 }, (_, i) => `s_${i} 1`).join('\n');
    for (const body of [helps, samples]) {
      const parser = new ExpositionParser('text', { sample: () => undefined }, { maxFamilies: 10 });
      expect(() => {
        parser.write(Buffer.from(`${body}\n`));
        parser.end();
      }).toThrow('line 11: more than 10 metric families');
    }
  });

  it('counts maxLineBytes in UTF-8 bytes, not characters', () => {
    const value = '日'.repeat(30); // 30 characters, 90 bytes
    const line = `a{v="${value}"} 1\n`;
    expect(collect('text', [Buffer.from(line)]).error).toBeUndefined();
    const { error } = (() => {
      const parser = new ExpositionParser('text', { sample: () => undefined }, { maxLineBytes: 64 });
      try {
        parser.write(Buffer.from(line));
        parser.end();
      } catch (e) {
        return { error: e };
      }
      return { error: undefined };
    })();
    expect((error as ExpositionParseError).reason).toBe('line longer than 64 bytes');
  });

  it('stays failed: later writes and end throw the first error again', () => {
    const parser = new ExpositionParser('text', { sample: () => undefined });
    expect(() => parser.write(Buffer.from('a 1\nb x\n'))).toThrow('line 2: invalid value "x"');
    expect(() => parser.write(Buffer.from('c 1\n'))).toThrow('line 2: invalid value "x"');
    expect(() => parser.end()).toThrow('line 2: invalid value "x"');
  });

  it('hands over the samples before the bad line and none after it', () => {
    const { samples } = collect('text', [Buffer.from('a 1\nb 2\nc x\nd 4\n')]);
    expect(samples.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('passes an error thrown by the handler through unchanged', () => {
    const boom = new Error('sample limit');
    const parser = new ExpositionParser('text', {
      sample: () => {
        throw boom;
      },
    });
    expect(() => parser.write(Buffer.from('a 1\n'))).toThrow(boom);
  });

  it('keeps label names that are Object.prototype members as plain own labels', () => {
    const { samples, error } = collect('text', [Buffer.from('a{__proto__="x",constructor="y",toString="z"} 1\n')]);
    expect(error).toBeUndefined();
    const labels = samples[0]!.labels;
    expect(Object.keys(labels)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(labels.__proto__).toBe('x');
    const duplicate = collect('text', [Buffer.from('a{constructor="y",constructor="z"} 1\n')]);
    expect((duplicate.error as ExpositionParseError).reason).toBe('duplicate label name "constructor"');
  });

  it('gives every sample its own name and labels while reusing names from earlier lines', () => {
    // 20 names cycling (more than the parser remembers), label names changing order, prefixes shared.
    const lines: string[] = [];
    const expected: { name: string; labels: Record<string, string> }[] = [];
    for (let i = 0; i < 400; i++) {
      const name = `m_${i % 20}${i % 3 === 0 ? '_total' : ''}`;
      const labels: Record<string, string> = i % 2 === 0 ? { a: `${i}`, b: 'x' } : { b: 'y', a: `${i}`, le: '1' };
      if (i % 7 === 0) labels.a_longer_label_name_than_thirteen = 'z';
      lines.push(
        `${name}{${Object.entries(labels)
          .map(([k, v]) => `${k}="${v}"`)
          .join(',')}} ${i}`,
      );
      expected.push({ name, labels });
    }
    const { samples, error } = collect('text', [Buffer.from(`${lines.join('\n')}\n`)]);
    expect(error).toBeUndefined();
    expect(samples.map(({ name, labels }) => ({ name, labels }))).toEqual(expected);
    expect(samples.map((s) => Object.keys(s.labels))).toEqual(expected.map((e) => Object.keys(e.labels)));
  });

  it('finishes a garbage body quickly with an error instead of hanging', () => {
    const garbage = Buffer.alloc(1 << 20);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 251;
    const { error } = collect('text', [garbage]);
    expect(error).toBeInstanceOf(ExpositionParseError);
  });

  it('rejects a body without line feeds once it passes maxLineBytes', () => {
    const chunks = Array.from({ length: 40 }, () => Buffer.from('a'.repeat(32 * 1024)));
    const { error } = collect('text', chunks);
    expect((error as ExpositionParseError).reason).toBe('line longer than 1048576 bytes');
  });
});
