import { describe, expect, it } from 'vitest';
import { relabelConfigSchema, type RelabelConfig } from '../../../collectors/metrics/relabel/config.ts';
import { hashMod } from '../../../collectors/metrics/relabel/hashmod.ts';
import { applyRelabel, compileRelabelRules } from '../../../collectors/metrics/relabel/relabel.ts';
import { relabelSample } from '../../../collectors/metrics/relabel/sample.ts';
import type { Labels } from '../../../collectors/metrics/types.ts';

/** Parses rules as a user writes them in YAML, then compiles them. */
function rules(...raw: Record<string, unknown>[]) {
  return compileRelabelRules(raw.map((r) => relabelConfigSchema.parse(r)));
}

function run(labels: Labels, ...raw: Record<string, unknown>[]): Labels | undefined {
  return applyRelabel(labels, rules(...raw));
}

/** The first schema error message of a rule. */
function problem(raw: Record<string, unknown>): string {
  const result = relabelConfigSchema.safeParse(raw);
  if (result.success) return 'accepted';
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

describe('relabel: replace', () => {
  it('defaults: regex (.*), replacement $1, separator ;', () => {
    expect(run({ a: 'x', b: 'y' }, { source_labels: ['a', 'b'], target_label: 'c' })).toEqual({
      a: 'x',
      b: 'y',
      c: 'x;y',
    });
  });

  it('groups by number, braces and name, $$ literal, unknown groups empty, $1x is the group named 1x', () => {
    const out = run(
      { a: 'foo-bar' },
      {
        source_labels: ['a'],
        regex: '(?P<first>[a-z]+)-(.*)',
        target_label: 'r',
        replacement: '$first|${2}|$2x|${2}x|$$1|$9|$',
      },
    );
    expect(out?.r).toBe('foo|bar||barx|$1||$');
  });

  it('target_label with groups; an expansion that is no label name changes nothing', () => {
    expect(
      run(
        { a: 'env=prod' },
        { source_labels: ['a'], regex: '(\\w+)=(\\w+)', target_label: 'tag_$1', replacement: '$2' },
      ),
    ).toEqual({ a: 'env=prod', tag_env: 'prod' });
    expect(
      run({ a: '1=prod' }, { source_labels: ['a'], regex: '(\\w+)=(\\w+)', target_label: '${1}', replacement: '$2' }),
    ).toEqual({ a: '1=prod' });
  });

  it('regex is fully anchored: a partial match does not replace', () => {
    expect(run({ a: 'xfoox' }, { source_labels: ['a'], regex: 'foo', target_label: 'b', replacement: 'hit' })).toEqual({
      a: 'xfoox',
    });
  });

  it('an empty result deletes the target label; missing source labels count as empty', () => {
    expect(run({ a: 'x', b: 'y' }, { source_labels: ['missing'], target_label: 'b' })).toEqual({ a: 'x' });
    expect(run({ a: 'x' }, { source_labels: ['missing'], target_label: 'c', replacement: 'fixed' })).toEqual({
      a: 'x',
      c: 'fixed',
    });
  });

  it('. matches newlines (Prometheus 3 compiles ^(?s:…)$)', () => {
    expect(
      run({ a: 'one\ntwo' }, { source_labels: ['a'], regex: 'one.two', target_label: 'b', replacement: 'ok' })?.b,
    ).toBe('ok');
  });
});

describe('relabel: keep, drop, keepequal, dropequal', () => {
  it('keep keeps matches only, drop drops matches', () => {
    const keep = { source_labels: ['env'], regex: 'prod|stage', action: 'keep' };
    expect(run({ env: 'prod' }, keep)).toEqual({ env: 'prod' });
    expect(run({ env: 'production' }, keep)).toBeUndefined();
    expect(run({}, keep)).toBeUndefined();
    const drop = { source_labels: ['env'], regex: 'dev', action: 'drop' };
    expect(run({ env: 'dev' }, drop)).toBeUndefined();
    expect(run({ env: 'devx' }, drop)).toEqual({ env: 'devx' });
  });

  it('keep on an absent label with regex matching empty keeps', () => {
    expect(run({ a: '1' }, { source_labels: ['nope'], regex: '', action: 'keep' })).toEqual({ a: '1' });
  });

  it('keepequal / dropequal compare the joined sources with target_label', () => {
    const keepEq = { source_labels: ['a', 'b'], target_label: 'c', action: 'keepequal' };
    expect(run({ a: '1', b: '2', c: '1;2' }, keepEq)).toEqual({ a: '1', b: '2', c: '1;2' });
    expect(run({ a: '1', b: '2', c: '12' }, keepEq)).toBeUndefined();
    const dropEq = { source_labels: ['a'], target_label: 'c', action: 'DropEqual' };
    expect(run({ a: '1', c: '1' }, dropEq)).toBeUndefined();
    expect(run({ a: '1' }, dropEq)).toEqual({ a: '1' });
    expect(run({}, dropEq)).toBeUndefined();
  });
});

describe('relabel: label name actions', () => {
  it('labelmap copies matching names (keeping the originals), labeldrop and labelkeep filter names', () => {
    const input = { __meta_kubernetes_pod_label_app: 'web', __meta_kubernetes_pod_label_tier: 'fe', job: 'j' };
    expect(run(input, { regex: '__meta_kubernetes_pod_label_(.+)', action: 'labelmap' })).toEqual({
      ...input,
      app: 'web',
      tier: 'fe',
    });
    expect(run(input, { regex: '__meta_.*', action: 'labeldrop' })).toEqual({ job: 'j' });
    expect(run(input, { regex: 'job|.*_app', action: 'labelkeep' })).toEqual({
      __meta_kubernetes_pod_label_app: 'web',
      job: 'j',
    });
  });

  it('labelmap with a literal replacement: the last matching name in builder order wins', () => {
    expect(run({ b: '2', a: '1' }, { regex: 'a|b', replacement: 'x', action: 'labelmap' })).toEqual({
      a: '1',
      b: '2',
      x: '2',
    });
  });

  it('labelkeep keeping nothing leaves an empty set', () => {
    expect(run({ a: '1' }, { regex: 'zzz', action: 'labelkeep' })).toEqual({});
  });
});

describe('relabel: lowercase, uppercase, hashmod', () => {
  it('case mapping as Go does it: one code point for one, no context', () => {
    expect(run({ a: 'MiXeD-Ä' }, { source_labels: ['a'], target_label: 'l', action: 'lowercase' })?.l).toBe('mixed-ä');
    expect(run({ a: 'straße ﬀ' }, { source_labels: ['a'], target_label: 'u', action: 'uppercase' })?.u).toBe(
      'STRAßE ﬀ',
    );
    expect(run({ a: 'ΟΔΟΣ İ' }, { source_labels: ['a'], target_label: 'l', action: 'lowercase' })?.l).toBe('οδοσ i');
  });

  it('lowercase of an empty value deletes the target', () => {
    expect(run({ l: 'x' }, { source_labels: ['none'], target_label: 'l', action: 'lowercase' })).toEqual({});
  });

  it("hashmod gives the values of Prometheus' own tests (md5, last 8 bytes big-endian, mod)", () => {
    expect(run({ c: 'baz' }, { source_labels: ['c'], target_label: 'd', modulus: 1000, action: 'hashmod' })?.d).toBe(
      '976',
    );
    expect(hashMod('foo\nbar', 1000)).toBe(734n);
  });

  it('hashmod spreads addresses over every shard', () => {
    const seen = new Set<bigint>();
    for (let i = 0; i < 200; i++) seen.add(hashMod(`10.0.${i}.1:9100`, 3));
    expect([...seen].sort()).toEqual([0n, 1n, 2n]);
  });
});

describe('relabel: rules chain and samples', () => {
  it('later rules see what earlier ones wrote; a drop stops the chain', () => {
    const out = run(
      { a: 'Web' },
      { source_labels: ['a'], target_label: 'b', action: 'lowercase' },
      { source_labels: ['b'], regex: 'web', target_label: 'c', replacement: 'matched' },
    );
    expect(out).toEqual({ a: 'Web', b: 'web', c: 'matched' });
  });

  it('metric relabeling sees __name__ and can rename, drop, or strip the name', () => {
    const sample = {
      name: 'go_gc_duration_seconds',
      labels: { quantile: '0.5', job: 'j' },
      value: 1.5,
      timestampMs: 7,
    };
    const rename = rules({
      source_labels: ['__name__'],
      regex: 'go_(.*)',
      target_label: '__name__',
      replacement: 'golang_$1',
    });
    expect(relabelSample(sample, rename)).toEqual({
      kept: true,
      sample: { ...sample, name: 'golang_gc_duration_seconds' },
    });
    expect(relabelSample(sample, rules({ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' }))).toEqual({
      kept: false,
      reason: 'relabel',
    });
    expect(relabelSample(sample, rules({ regex: '__name__', action: 'labeldrop' }))).toEqual({
      kept: false,
      reason: 'no_name',
    });
    expect(relabelSample(sample, rules({ regex: 'nothing', action: 'labelkeep' }))).toEqual({
      kept: false,
      reason: 'relabel',
    });
  });

  it('does not change its input', () => {
    const input = { a: '1' };
    run(input, { regex: 'a', action: 'labeldrop' });
    expect(input).toEqual({ a: '1' });
  });
});

describe('relabel config validation (Prometheus messages)', () => {
  it('rejects what Prometheus rejects', () => {
    expect(problem({ action: 'hashmod', source_labels: ['a'], target_label: 'b' })).toContain(
      'requires non-zero modulus',
    );
    expect(problem({ action: 'replace', source_labels: ['a'] })).toContain("requires 'target_label' value");
    expect(problem({ action: 'replace', target_label: '1abc' })).toContain('"1abc" is invalid \'target_label\'');
    expect(problem({ action: 'lowercase', target_label: 'x', source_labels: ['a'], replacement: 'y' })).toContain(
      "'replacement' can not be set for lowercase action",
    );
    expect(problem({ action: 'keepequal', target_label: 'x', source_labels: ['a'], regex: '(.*)' })).toContain(
      "keepequal action requires only 'source_labels' and `target_label`",
    );
    expect(problem({ action: 'labeldrop', regex: 'a', source_labels: ['x'] })).toContain(
      "labeldrop action requires only 'regex'",
    );
    expect(problem({ action: 'labelmap', regex: '(.*)', replacement: 'a-b' })).toContain(
      "is invalid 'replacement' for labelmap",
    );
    expect(problem({ action: 'explode' })).toContain('unknown relabel action "explode"');
    expect(problem({ action: 'keep', regxe: 'a' })).toContain('regxe');
    expect(problem({ source_labels: ['a-b'], target_label: 'x' })).toContain('source_labels.0: expected a label name');
  });

  it('accepts a typical kubernetes_sd rule set with upper-case actions', () => {
    const set: RelabelConfig[] = [
      { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], regex: 'true', action: 'KEEP' },
      {
        source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
        regex: '([^:]+)(?::\\d+)?;(\\d+)',
        replacement: '$1:$2',
        target_label: '__address__',
      },
      { regex: '__meta_kubernetes_pod_label_(.+)', action: 'labelmap' },
    ].map((r) => relabelConfigSchema.parse(r));
    expect(set.map((r) => r.action)).toEqual(['keep', 'replace', 'labelmap']);
    const out = applyRelabel(
      {
        __address__: '10.0.0.5:80',
        __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
        __meta_kubernetes_pod_annotation_prometheus_io_port: '9102',
        __meta_kubernetes_pod_label_app: 'api',
      },
      compileRelabelRules(set),
    );
    expect(out?.__address__).toBe('10.0.0.5:9102');
    expect(out?.app).toBe('api');
  });

  it('names the bad regex and where', () => {
    expect(problem({ source_labels: ['a'], regex: '(a', target_label: 'x' })).toMatch(
      /^regex: invalid regex "\(a" at offset 2: missing closing \)/,
    );
    expect(problem({ source_labels: ['a'], regex: '(a)\\1', target_label: 'x' })).toContain('backreferences');
  });
});
