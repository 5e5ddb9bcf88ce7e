import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportedSeriesNames, referencedMetricNames } from './metric-names.ts';

const run = promisify(execFile);
const clusterRules = join(import.meta.dirname, 'cluster.rules.yaml');
const testsDir = join(import.meta.dirname, 'tests');
const runbooks = join(import.meta.dirname, '../docs/runbooks');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertCase {
  alertname: string;
  exp_alerts?: unknown[];
}
interface TestFile {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: AlertCase[] }[];
}

/** The rules of one rule file. */
function rulesOf(file: string): Rule[] {
  return (parse(readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
}

const rules = rulesOf(clusterRules);
const alertNames = [...new Set(rules.flatMap((r) => (r.alert === undefined ? [] : [r.alert])))];
const testFiles = readdirSync(testsDir).filter((f) => f.startsWith('cluster-') && f.endsWith('.test.yaml'));

/** Every `alert_rule_test` case of the cluster test files, by alert name: how many fire and how many must not. */
function casesByAlert(): Map<string, { firing: number; silent: number }> {
  const cases = new Map<string, { firing: number; silent: number }>();
  for (const file of testFiles) {
    const doc = parse(readFileSync(join(testsDir, file), 'utf8')) as TestFile;
    expect(doc.rule_files, file).toEqual(['../cluster.rules.yaml']);
    for (const test of doc.tests) {
      for (const c of test.alert_rule_test ?? []) {
        const seen = cases.get(c.alertname) ?? { firing: 0, silent: 0 };
        if ((c.exp_alerts ?? []).length > 0) seen.firing += 1;
        else seen.silent += 1;
        cases.set(c.alertname, seen);
      }
    }
  }
  return cases;
}

describe('cluster alert rules', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', clusterRules]);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('pass every promtool test rules case of alerts/tests/cluster-*.test.yaml', async () => {
    expect(testFiles.length).toBeGreaterThanOrEqual(4);
    const { stdout, stderr } = await run('promtool', ['test', 'rules', ...testFiles.map((f) => join(testsDir, f))]);
    expect(`${stdout}${stderr}`.match(/SUCCESS/g)).toHaveLength(testFiles.length);
  });

  it('have, for every alert, a case where it fires and one where it must not', () => {
    const cases = casesByAlert();
    const noFiring = alertNames.filter((a) => (cases.get(a)?.firing ?? 0) === 0);
    const noSilent = alertNames.filter((a) => a !== 'Watchdog' && (cases.get(a)?.silent ?? 0) === 0);
    expect(noFiring, 'alerts without a firing case').toEqual([]);
    expect(noSilent, 'alerts without a case where they must not fire').toEqual([]);
    const unknown = [...cases.keys()].filter((a) => !alertNames.includes(a));
    expect(unknown, 'cases of alerts that do not exist').toEqual([]);
  });

  it('give every alert a severity, a summary, a description and a runbook that exists', () => {
    for (const rule of rules.filter((r) => r.alert !== undefined)) {
      const name = rule.alert!;
      expect(['critical', 'warning', 'info', 'none'], `${name} severity`).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, `${name} summary`).toMatch(/\S{3}/);
      expect(rule.annotations?.description, `${name} description`).toMatch(/\S{3}/);
      expect(rule.annotations?.runbook_url, `${name} runbook_url`).toMatch(new RegExp(`/docs/runbooks/${name}\\.md$`));
      const runbook = join(runbooks, `${name}.md`);
      expect(existsSync(runbook), `docs/runbooks/${name}.md`).toBe(true);
      const text = readFileSync(runbook, 'utf8');
      for (const section of ['**Meaning.**', '**Check.**', '**Do.**'])
        expect(text, `${name}.md ${section}`).toContain(section);
    }
  });

  it('name recording rules level:metric[:operations] and use them only after they are recorded', () => {
    const recorded = rules.flatMap((r) => (r.record === undefined ? [] : [r.record]));
    for (const name of recorded) expect(name).toMatch(/^[a-z_]+:[a-zA-Z0-9_]+(:[a-z0-9_]+)?$/);
    for (const rule of rules) {
      for (const used of rule.expr.match(/\b[a-z_]+:[a-zA-Z0-9_:]+\b/g) ?? []) {
        expect(recorded, `${rule.alert ?? rule.record} uses ${used}`).toContain(used);
      }
    }
  });

  it("use only the kube_* and watchkeeper_* names the components' metric modules export (rules, tests)", async () => {
    const exported = await exportedSeriesNames();
    for (const rule of rules)
      for (const name of referencedMetricNames(rule.expr))
        expect(exported, `${rule.alert ?? rule.record} uses ${name}`).toContain(name);
    // The promtool cases feed series by name: a renamed series would leave them testing a name nothing exports.
    for (const file of testFiles) {
      const text = readFileSync(join(testsDir, file), 'utf8');
      for (const series of text.matchAll(/series: '?([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g))
        for (const name of referencedMetricNames(series[1]!)) expect(exported, `${file}: ${name}`).toContain(name);
    }
  });

  it('are committed as rendered (if not, run `npm run watchkeeper -- render`)', () => {
    expect(readFileSync(join(import.meta.dirname, '../rendered/alerts/cluster.rules.yaml'), 'utf8')).toBe(
      readFileSync(clusterRules, 'utf8'),
    );
  });
});
