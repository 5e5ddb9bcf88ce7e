import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportedSeriesNames, referencedMetricNames } from './metric-names.ts';

const run = promisify(execFile);
const rulesFile = join(import.meta.dirname, 'watchkeeper.rules.yaml');
const testsDir = join(import.meta.dirname, 'tests');
const runbooks = join(import.meta.dirname, '../docs/runbooks');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
const groups = (parse(readFileSync(rulesFile, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert !== undefined);

describe('alert rules', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', rulesFile]);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('pass every promtool test rules case', async () => {
    // cluster-*.test.yaml test alerts/cluster.rules.yaml and are run by alerts/cluster-rules.test.ts.
    const files = readdirSync(testsDir)
      .filter((f) => f.endsWith('.test.yaml') && !f.startsWith('cluster-'))
      .map((f) => join(testsDir, f));
    expect(files.length).toBeGreaterThanOrEqual(4);
    const { stdout } = await run('promtool', ['test', 'rules', ...files]);
    expect(stdout.match(/SUCCESS/g)).toHaveLength(files.length);
  });

  it('have a test case for every alert', () => {
    const tested = readdirSync(testsDir)
      .map((f) => readFileSync(join(testsDir, f), 'utf8'))
      .join('\n');
    for (const alert of alerts)
      expect(tested, `${alert.alert} has no promtool test`).toContain(`alertname: ${alert.alert}`);
  });

  it('link each alert to a runbook that exists', () => {
    for (const alert of alerts) {
      const url = alert.annotations?.runbook_url ?? '';
      expect(url, `${alert.alert} runbook_url`).toMatch(new RegExp(`/docs/runbooks/${alert.alert}\\.md$`));
      expect(existsSync(join(runbooks, `${alert.alert}.md`)), `docs/runbooks/${alert.alert}.md`).toBe(true);
    }
  });

  it('use only metric names the components export', async () => {
    const exported = await exportedSeriesNames();
    for (const rule of rules) {
      for (const name of referencedMetricNames(rule.expr))
        expect(exported, `${rule.alert ?? rule.record} uses ${name}`).toContain(name);
    }
  });
});
