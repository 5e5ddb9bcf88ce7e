import { describe, expect, it } from 'vitest';
import { metricsSection } from '../../../collectors/metrics/config.ts';
import { TextExposition } from '../../../collectors/metrics/node/text-exposition.ts';

function problems(metrics: unknown): string[] {
  const result = metricsSection.safeParse(metrics);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('metrics config: discovery jobs, node collector, sharding', () => {
  it('a job has either targets or kubernetes', () => {
    const either = 'jobs.0.targets: a job needs either targets or kubernetes (not both)';
    expect(problems({ jobs: [{ job: 'a' }] })).toEqual([either]);
    expect(problems({ jobs: [{ job: 'a', targets: ['h:1'], kubernetes: { role: 'pod' } }] })).toEqual([either]);
    const parsed = metricsSection.parse({ jobs: [{ job: 'pods', kubernetes: { role: 'pod', ownNode: true } }] });
    expect(parsed.jobs[0]).toMatchObject({ targets: [], shard: true, kubernetes: { role: 'pod', ownNode: true } });
    const badRole = problems({ jobs: [{ job: 'x', kubernetes: { role: 'nodes' } }] });
    expect(badRole[0]).toMatch(/^jobs\.0\.kubernetes\.role: /);
  });

  it('the node collector is opt-in and owns the job name "node" only when enabled', () => {
    const defaults = metricsSection.parse({});
    expect(defaults.node).toMatchObject({ enabled: false, interval: '15s' });
    expect(defaults.sharding.enabled).toBe(false);
    expect(problems({ jobs: [{ job: 'node', targets: ['h:9100'] }] })).toEqual([]);
    expect(problems({ node: { enabled: true }, jobs: [{ job: 'node', targets: ['h:9100'] }] })).toEqual([
      'jobs: job name "node" is taken by the built-in node collector (metrics.node.enabled)',
    ]);
    expect(problems({ node: { interval: 'soon' } })[0]).toMatch(/^node\.interval: a duration/);
  });
});

describe('TextExposition', () => {
  it('writes each family once with its samples together, help escaped and special values spelled out', () => {
    const out = new TextExposition();
    const success = { name: 'node_scrape_collector_success', type: 'gauge' as const, help: 'ok?' };
    const load = { name: 'node_load1', type: 'gauge' as const, help: 'a\\b\nc' };
    out.sample({ name: success.name, labels: { collector: 'cpu' }, value: 1 }, success);
    out.sample({ name: load.name, labels: {}, value: Number.NaN }, load);
    out.sample({ name: success.name, labels: { collector: 'x"y' }, value: 0 }, success);
    expect(out.text()).toBe(
      [
        '# HELP node_scrape_collector_success ok?',
        '# TYPE node_scrape_collector_success gauge',
        'node_scrape_collector_success{collector="cpu"} 1',
        'node_scrape_collector_success{collector="x\\"y"} 0',
        '# HELP node_load1 a\\\\b\\nc',
        '# TYPE node_load1 gauge',
        'node_load1 NaN',
        '',
      ].join('\n'),
    );
  });
});
