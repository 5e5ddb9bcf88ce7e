// The RE2 translation and template expansion against Go's own regexp package (what Prometheus runs): a small Go
// program compiles each pattern as Prometheus does (`^(?s:…)$`), matches the values and expands the templates;
// watchkeeper must give the same answers for every pattern it accepts, and reject every pattern Go rejects.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandTemplate, parseTemplate } from '../../collectors/metrics/relabel/expand.ts';
import { compileAnchoredRe2 } from '../../collectors/metrics/relabel/re2.ts';

const run = promisify(execFile);

const goProgram = `package main

import (
	"encoding/json"
	"os"
	"regexp"
)

type result struct {
	Error    string   \`json:"error,omitempty"\`
	Matches  []bool   \`json:"matches"\`
	Expanded []string \`json:"expanded"\`
}

func main() {
	var input struct {
		Patterns  []string \`json:"patterns"\`
		Values    []string \`json:"values"\`
		Templates []string \`json:"templates"\`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		panic(err)
	}
	out := []result{}
	for _, p := range input.Patterns {
		re, err := regexp.Compile("^(?s:" + p + ")$")
		if err != nil {
			out = append(out, result{Error: err.Error()})
			continue
		}
		r := result{Matches: []bool{}, Expanded: []string{}}
		for _, v := range input.Values {
			idx := re.FindStringSubmatchIndex(v)
			r.Matches = append(r.Matches, idx != nil)
			for _, t := range input.Templates {
				if idx == nil {
					r.Expanded = append(r.Expanded, "")
				} else {
					r.Expanded = append(r.Expanded, string(re.ExpandString(nil, t, v, idx)))
				}
			}
		}
		out = append(out, r)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`;

const patterns = [
  '(.*)',
  '',
  'foo',
  'foo|bar',
  '(?i)foo|bar',
  '(?P<host>[^:]+):(?P<port>\\d+)',
  '(?<host>[^:]+):(\\d+)',
  '([a-z]+)-(\\d*)',
  'a.c',
  '\\s+',
  '\\S+',
  '[\\s]x',
  '\\d{2,3}',
  'x{,2}',
  'x{2}y{1,}',
  '[[:alpha:]]+',
  '[[:^alpha:]]',
  '[^[:digit:]]+',
  '\\Qa.b\\E.*',
  '\\x{263A}|\\x41',
  '\\pL+',
  '\\p{Greek}+',
  '\\PL',
  '[]a]+',
  '[^]a]',
  '\\-\\.\\#',
  '\\Aab\\z',
  'a*?b',
  '(a|ab)(c|bcd)(d*)',
  '(?:x)(y)?',
  '(?s:.)',
  '\\bfoo\\b',
  '[a-c-]+',
  '\\',
  '(a',
  'a)',
  '[a',
  'a**',
  '*a',
  'a{1001}',
  '(a)\\1',
  '(?=a)a',
  '\\8',
  '(?P<n>a)(?P<n>b)',
  'x{2,1}',
  '\\C',
  '\\z\\A',
  'a(?i)b',
  '(?U)a+',
  '[\\S]',
  '(?P<1a>x)',
  '\\k',
];
const values = [
  '',
  'foo',
  'BAR',
  'host.example:9100',
  'abc-42',
  'a\nc',
  'a c',
  ' \u00a0',
  '12',
  'xx',
  'xxyy',
  'x{,2}',
  'abc',
  'a.bzz',
  '☺',
  'A',
  'αβγ',
  ']a]',
  ']',
  '-.#',
  'ab',
  'aab',
  'abcd',
  'y',
  'foo bar',
  'a-c',
  'ΑΣ',
];
const templates = ['$1', '${1}x', '$1x', '$host:$port', '${port}', '$$1', '$0', '$9', '$', '${', 'lit', '$2-$1'];

/** Patterns RE2 accepts that watchkeeper refuses on purpose (JavaScript cannot say them the same way). */
const refusedOnPurpose = new Set(['[[:^alpha:]]', 'a(?i)b', '(?U)a+', '[\\S]', '(?P<n>a)(?P<n>b)', '(?P<1a>x)']);

interface GoResult {
  error?: string;
  matches: boolean[];
  expanded: string[];
}

describe("RE2 patterns and templates compared with Go's regexp", () => {
  let dir: string;
  let go: GoResult[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wk-go-regexp-'));
    await writeFile(join(dir, 'main.go'), goProgram);
    await writeFile(join(dir, 'input.json'), JSON.stringify({ patterns, values, templates }));
    const { stdout } = await run('bash', ['-c', 'go run main.go < input.json'], {
      cwd: dir,
      env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '' },
      maxBuffer: 64 * 1024 * 1024,
    });
    go = JSON.parse(stdout) as GoResult[];
  }, 180_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('accepts what Go accepts (except the documented refusals) and rejects what Go rejects', () => {
    const disagreements: string[] = [];
    patterns.forEach((pattern, i) => {
      let ours: string | undefined;
      try {
        compileAnchoredRe2(pattern);
      } catch (error) {
        ours = (error as Error).message;
      }
      const theirs = go[i]!.error;
      if (theirs && !ours) disagreements.push(`${pattern}: Go rejects (${theirs}), we accept`);
      if (!theirs && ours && !refusedOnPurpose.has(pattern))
        disagreements.push(`${pattern}: Go accepts, we reject (${ours})`);
    });
    expect(disagreements).toEqual([]);
    expect([...refusedOnPurpose].every((p) => go[patterns.indexOf(p)]!.error === undefined)).toBe(true);
  });

  it('matches and expands like Go for every accepted pattern, value and template', () => {
    const parsed = templates.map(parseTemplate);
    const disagreements: string[] = [];
    let compared = 0;
    patterns.forEach((pattern, i) => {
      if (go[i]!.error || refusedOnPurpose.has(pattern)) return;
      const re = compileAnchoredRe2(pattern);
      values.forEach((value, v) => {
        const m = re.exec(value);
        compared++;
        if (Boolean(m) !== go[i]!.matches[v])
          disagreements.push(`${pattern} on ${JSON.stringify(value)}: match ${Boolean(m)}`);
        parsed.forEach((template, t) => {
          const ours = m ? expandTemplate(template, m) : '';
          const theirs = go[i]!.expanded[v * templates.length + t];
          if (ours !== theirs) {
            const where = `${pattern} on ${JSON.stringify(value)} with ${templates[t]}`;
            disagreements.push(`${where}: ${JSON.stringify(ours)} vs ${JSON.stringify(theirs)}`);
          }
        });
      });
    });
    expect(disagreements.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(500);
  });
});
