import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeExporter, startPrometheus, type NodeExporter, type PrometheusServer } from '../test/env/index.ts';
import { until } from '../test/support/eventually.ts';
import { allDashboards } from './index.ts';
import { addMatchers, parseMatchers } from './promql-matchers.ts';
import { ruleFiles } from './render.ts';

const run = promisify(execFile);
const main = join(import.meta.dirname, '../cli/main.ts');
const prod = ['cluster="prod"'];

/** The label matcher lists of every series selector of an expression, read with the PromQL grammar. */
function selectorMatchers(expr: string): string[] {
  const lists: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.name !== 'VectorSelector') return;
      const list = node.node.getChild('LabelMatchers');
      lists.push(list === null ? '' : expr.slice(list.from, list.to));
      return false;
    },
  });
  return lists;
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}

describe('render --selector: label matchers added to every series selector', () => {
  it.each([
    ['bare name', 'up', 'up{cluster="prod"}'],
    ['function and range', 'rate(x_total{job="a"}[5m])', 'rate(x_total{job="a", cluster="prod"}[5m])'],
    [
      'aggregation (grouping labels untouched)',
      'sum by (cluster, job) (rate(x_total[5m]))',
      'sum by (cluster, job) (rate(x_total{cluster="prod"}[5m]))',
    ],
    [
      'binary operation with on() and group_left',
      'a{x="1"} * on (cluster, instance) group_left (node) max by (cluster, instance, node) (b)',
      'a{x="1", cluster="prod"} * on (cluster, instance) group_left (node) max by (cluster, instance, node) ' +
        '(b{cluster="prod"})',
    ],
    ['subquery', 'max_over_time(rate(x_total[5m])[1h:1m])', 'max_over_time(rate(x_total{cluster="prod"}[5m])[1h:1m])'],
    ['offset and @', 'x offset 1h - x @ end()', 'x{cluster="prod"} offset 1h - x{cluster="prod"} @ end()'],
    ['name as matcher', '{__name__="up"}', '{__name__="up", cluster="prod"}'],
    ['trailing comma', 'up{job="a",}', 'up{job="a",cluster="prod"}'],
    ['matcher already there', 'up{cluster="prod"}', 'up{cluster="prod"}'],
    [
      'strings and numbers untouched',
      'label_replace(up, "dst", "{$1}", "src", "(.*)") > bool 0 or vector(1)',
      'label_replace(up{cluster="prod"}, "dst", "{$1}", "src", "(.*)") > bool 0 or vector(1)',
    ],
    [
      'recorded names and histograms',
      'histogram_quantile(0.99, sum by (le) (rate(a:b_bucket[5m]))) / on () group_left count(c:d)',
      'histogram_quantile(0.99, sum by (le) (rate(a:b_bucket{cluster="prod"}[5m]))) / on () group_left ' +
        'count(c:d{cluster="prod"})',
    ],
  ])('%s', (_, expr, expected) => {
    expect(addMatchers(expr, prod)).toBe(expected);
  });

  it('adds several matchers and parses a matcher list with or without braces', () => {
    expect(parseMatchers('cluster="prod", env=~"eu-.*"')).toEqual(['cluster="prod"', 'env=~"eu-.*"']);
    expect(parseMatchers('{env!="dev"}')).toEqual(['env!="dev"']);
    expect(addMatchers('up', parseMatchers('a="1",b!~"2"'))).toBe('up{a="1", b!~"2"}');
  });

  it.each([
    ['cluster=prod', /not valid PromQL/],
    ['up{cluster="prod"}', /label matchers only/],
    ['', /no matcher/],
    ['cluster="prod"} or {x="y"', /not valid PromQL|label matchers only/],
  ])('refuses the selector %j', (list, message) => {
    expect(() => parseMatchers(list)).toThrow(message);
  });

  it('refuses an expression that does not parse, naming where', () => {
    expect(() => addMatchers('sum(rate(x[5m])', prod)).toThrow(/not valid PromQL at character/);
  });
});

describe('render --selector and --datasource-uid output', () => {
  let out: string;
  let prometheus: PrometheusServer;
  let exporter: NodeExporter;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'render-options-'));
    exporter = await startNodeExporter();
    // One node_exporter scraped twice, as two clusters: a query limited to one must see only its series.
    const job = (cluster: string): Record<string, unknown> => ({
      job_name: `node-${cluster}`,
      static_configs: [{ targets: [exporter.target], labels: { cluster } }],
    });
    prometheus = await startPrometheus({ scrapeConfigs: [job('prod'), job('dev')] });
    const { stdout } = await run(process.execPath, [
      main,
      'render',
      '--out',
      out,
      '--datasource-uid',
      'prom-main',
      '--selector',
      'cluster="prod"',
    ]);
    expect(stdout.trim().split('\n')).toHaveLength(Object.keys(allDashboards()).length + ruleFiles.length);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
  });

  it('writes rules that promtool accepts, every selector limited, names and order kept', async () => {
    for (const file of ruleFiles) {
      const name = file.split('/').at(-1)!;
      const rewritten = join(out, 'alerts', name);
      const { stdout } = await run('promtool', ['check', 'rules', rewritten]);
      expect(stdout, name).toMatch(/SUCCESS: \d+ rules found/);
      const rules = (path: string): Rule[] =>
        (parse(readFileSync(path, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
      const before = rules(file);
      const after = rules(rewritten);
      expect(after.map((r) => r.alert ?? r.record)).toEqual(before.map((r) => r.alert ?? r.record));
      for (const rule of after)
        for (const list of selectorMatchers(rule.expr))
          expect(list, rule.alert ?? rule.record).toContain('cluster="prod"');
    }
  });

  it('writes dashboards bound to the datasource uid, each query and variable limited, Prometheus accepts', async () => {
    for (const file of Object.keys(allDashboards())) {
      const text = readFileSync(join(out, 'dashboards', file), 'utf8');
      expect(text, file).not.toContain('${datasource}');
      const model = JSON.parse(text) as {
        panels: {
          title: string;
          datasource: { uid: string };
          targets: { expr: string; datasource: { uid: string } }[];
        }[];
        templating: { list: { type: string; definition?: string }[] };
      };
      expect(model.templating.list.map((v) => v.type)).not.toContain('datasource');
      for (const v of model.templating.list) expect(v.definition, file).toContain('cluster="prod"');
      for (const panel of model.panels) {
        expect(panel.datasource.uid).toBe('prom-main');
        for (const target of panel.targets) {
          expect(target.datasource.uid).toBe('prom-main');
          for (const list of selectorMatchers(target.expr))
            expect(list, `${file} / ${panel.title}`).toContain('cluster="prod"');
          await expect(prometheus.query(target.expr), `${file} / ${panel.title}`).resolves.toBeInstanceOf(Array);
        }
      }
    }
  });

  it('limits what the queries select: one cluster of two', async () => {
    const expr = 'count(up) * on () group_left count(node_uname_info)';
    await until(async () => (await prometheus.query(expr))[0]?.value[1] === '4', 'both clusters scraped');
    const limited = addMatchers(expr, prod);
    expect((await prometheus.query(limited))[0]!.value[1]).toBe('1');
    const byCluster = await prometheus.query(addMatchers('count by (cluster) (node_uname_info)', prod));
    expect(byCluster.map((s) => s.metric.cluster)).toEqual(['prod']);
  });

  it('refuses a bad selector with exit code 2 and writes nothing', () => {
    const dir = join(out, 'refused');
    const result = spawnSync(process.execPath, [main, 'render', '--out', dir, '--selector', 'cluster=prod'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--selector: label selector "cluster=prod" is not valid PromQL/);
    expect(existsSync(dir)).toBe(false);
  });
});
