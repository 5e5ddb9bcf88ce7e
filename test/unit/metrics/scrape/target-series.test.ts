import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { exposition } from '../../../../core/http/exposition.ts';
import { ScrapedExposition } from '../../../../collectors/metrics/exposition/scraped-exposition.ts';
import { renameConflicts, SeriesBudget, TargetSeries } from '../../../../collectors/metrics/scrape/target-series.ts';
import { parseSeriesKey } from '../../../../collectors/metrics/scrape/series-key.ts';
import type { FamilyMeta, Sample } from '../../../../collectors/metrics/types.ts';

const gauge: FamilyMeta = { name: 'temperature', type: 'gauge', help: 'Temperature.' };
const counter: FamilyMeta = { name: 'requests', type: 'counter', help: 'Requests.' };
const histogram: FamilyMeta = { name: 'latency_seconds', type: 'histogram', help: 'Latency.' };
const target = { job: 'node', instance: 'host:9100' };

function scrape(store: TargetSeries, samples: [Sample, FamilyMeta][]): Sample[] {
  const stale: Sample[] = [];
  store.begin();
  for (const [sample, family] of samples) store.sample(sample, family);
  store.commit((key) => stale.push({ ...parseSeriesKey(key), value: Number.NaN }));
  return stale;
}

describe('TargetSeries', () => {
  it('reports series gone since the previous scrape as stale, with their series labels (the batch carries the target ones), and forgets them', () => {
    const store = new TargetSeries(target, false, 100, new SeriesBudget(100), undefined);
    scrape(store, [
      [{ name: 'temperature', labels: { room: 'a' }, value: 20 }, gauge],
      [{ name: 'temperature', labels: { room: 'b' }, value: 21 }, gauge],
    ]);
    const stale = scrape(store, [[{ name: 'temperature', labels: { room: 'a' }, value: 22 }, gauge]]);
    expect(stale).toHaveLength(1);
    expect(stale[0]!.name).toBe('temperature');
    expect(stale[0]!.labels).toEqual({ room: 'b' });
    expect(Number.isNaN(stale[0]!.value)).toBe(true);
    expect([...store.samples()].map((s) => [s.labels.room, s.value])).toEqual([['a', 22]]);
  });

  it('clear() makes every series stale (a failed scrape or a removed target)', () => {
    const budget = new SeriesBudget(100);
    const store = new TargetSeries(target, false, 100, budget, undefined);
    scrape(store, [
      [{ name: 'temperature', labels: { room: 'a' }, value: 20 }, gauge],
      [{ name: 'requests_total', labels: {}, value: 3 }, counter],
    ]);
    const stale: Sample[] = [];
    store.clear((key) => stale.push({ ...parseSeriesKey(key), value: Number.NaN }));
    expect(stale.map((s) => s.name).sort()).toEqual(['requests_total', 'temperature']);
    expect(store.size).toBe(0);
    expect(budget.total).toBe(0);
  });

  it('refuses new series beyond the per-target and the global limit and counts them; known series keep updating', () => {
    const budget = new SeriesBudget(3);
    const a = new TargetSeries({ job: 'a', instance: 'a:1' }, false, 2, budget, undefined);
    const b = new TargetSeries({ job: 'b', instance: 'b:1' }, false, 10, budget, undefined);
    a.begin();
    for (let i = 0; i < 5; i++) a.sample({ name: 'temperature', labels: { i: String(i) }, value: i }, gauge);
    expect(a.commit()).toEqual({ added: 2, droppedTargetLimit: 3, droppedTotalLimit: 0 });
    b.begin();
    for (let i = 0; i < 3; i++) b.sample({ name: 'temperature', labels: { i: String(i) }, value: i }, gauge);
    expect(b.commit()).toEqual({ added: 1, droppedTargetLimit: 0, droppedTotalLimit: 2 });
    a.begin();
    a.sample({ name: 'temperature', labels: { i: '0' }, value: 100 }, gauge);
    a.sample({ name: 'temperature', labels: { i: '1' }, value: 101 }, gauge);
    expect(a.commit().added).toBe(0);
    expect([...a.samples()].map((s) => s.value)).toEqual([100, 101]);
    expect(budget.total).toBe(3);
  });

  it('renames scraped labels that collide with target labels to exported_<name> unless honorLabels', () => {
    expect(renameConflicts({ job: 'x', path: '/' }, target, false)).toEqual({ path: '/', exported_job: 'x' });
    expect(renameConflicts({ job: 'x' }, target, true)).toEqual({ job: 'x' });
    const labels = { path: '/' };
    expect(renameConflicts(labels, target, false)).toBe(labels);
  });
});

describe('scraped series at /metrics', () => {
  it("exposes every target's series with target labels in the text format and in OpenMetrics", async () => {
    const registry = new Registry();
    const exposed = new ScrapedExposition(registry);
    const store = new TargetSeries(target, false, 100, new SeriesBudget(100), exposed);
    scrape(store, [
      [{ name: 'requests_total', labels: { code: '200' }, value: 7 }, counter],
      [{ name: 'requests_created', labels: { code: '200' }, value: 1700000000 }, counter],
      [{ name: 'latency_seconds_bucket', labels: { le: '+Inf' }, value: 3 }, histogram],
      [{ name: 'latency_seconds_sum', labels: {}, value: 0.5 }, histogram],
      [{ name: 'latency_seconds_count', labels: {}, value: 3 }, histogram],
      [
        { name: 'odd', labels: { a: 'x"y\\z' }, value: Number.POSITIVE_INFINITY },
        { name: 'odd', type: 'untyped' },
      ],
    ]);
    const text = (await exposition(registry, false)).body;
    const where = 'code="200",job="node",instance="host:9100"';
    expect(text).toContain(`# TYPE requests_total counter\nrequests_total{${where}} 7`);
    expect(text).toContain(`# TYPE requests_created gauge\nrequests_created{${where}} 1700000000`);
    expect(text).toContain('latency_seconds_bucket{le="+Inf",job="node",instance="host:9100"} 3');
    expect(text).toContain('# TYPE odd untyped\nodd{a="x\\"y\\\\z",job="node",instance="host:9100"} +Inf');
    const om = await exposition(registry, true);
    expect(om.contentType).toContain('application/openmetrics-text');
    expect(om.body).toContain('# TYPE requests counter\nrequests_total{code="200",job="node",instance="host:9100"} 7');
    expect(om.body).toContain('# TYPE latency_seconds histogram');
    expect(om.body).toContain('# TYPE odd unknown');
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    // The OpenMetrics answer must not rename the text format's counters for good.
    expect((await exposition(registry, false)).body).toContain('# TYPE requests_total counter');

    scrape(store, [[{ name: 'requests_total', labels: { code: '200' }, value: 8 }, counter]]);
    const after = (await exposition(registry, false)).body;
    expect(after).toContain('requests_total{code="200",job="node",instance="host:9100"} 8');
    expect(after).not.toContain('latency_seconds');
    expect(after).not.toContain('odd');
  });

  it("shares a family name with the agent's own metric and gives it back when the target is gone", async () => {
    const registry = new Registry();
    const exposed = new ScrapedExposition(registry);
    const { Gauge } = await import('prom-client');
    new Gauge({ name: 'process_open_fds', help: 'Own fds.', registers: [registry] }).set(12);
    const store = new TargetSeries(target, false, 100, new SeriesBudget(100), exposed);
    scrape(store, [
      [
        { name: 'process_open_fds', labels: {}, value: 40 },
        { name: 'process_open_fds', type: 'gauge' },
      ],
    ]);
    const both = (await exposition(registry, false)).body;
    expect(both).toContain('process_open_fds 12\nprocess_open_fds{job="node",instance="host:9100"} 40');
    expect(both.match(/# TYPE process_open_fds/g)).toHaveLength(1);
    store.clear();
    const own = (await exposition(registry, false)).body;
    expect(own).toContain('process_open_fds 12');
    expect(own).not.toContain('instance="host:9100"');
  });
});

describe('cardinality guard against new names', () => {
  it('refuses a new family name at the limit without exposing an empty family', async () => {
    const registry = new Registry();
    const store = new TargetSeries(target, false, 2, new SeriesBudget(100), new ScrapedExposition(registry));
    store.begin();
    for (let i = 0; i < 50; i++) {
      store.sample({ name: `name_${i}`, labels: {}, value: i }, { name: `name_${i}`, type: 'gauge' });
    }
    expect(store.commit()).toEqual({ added: 2, droppedTargetLimit: 48, droppedTotalLimit: 0 });
    const text = (await exposition(registry, false)).body;
    expect(text.match(/^# TYPE /gm)).toHaveLength(2);
  });
});

describe('OpenMetrics names of scraped counters', () => {
  it('writes a counter whose base name is also a gauge family as unknown, so that the body stays valid', async () => {
    const registry = new Registry();
    const store = new TargetSeries(target, false, 100, new SeriesBudget(100), new ScrapedExposition(registry));
    scrape(store, [
      [
        { name: 'go_memstats_alloc_bytes', labels: {}, value: 5 },
        { name: 'go_memstats_alloc_bytes', type: 'gauge' },
      ],
      [
        { name: 'go_memstats_alloc_bytes_total', labels: {}, value: 9 },
        { name: 'go_memstats_alloc_bytes_total', type: 'counter' },
      ],
    ]);
    const om = (await exposition(registry, true)).body;
    expect(om).toContain('# TYPE go_memstats_alloc_bytes gauge\n');
    expect(om).toContain(
      '# TYPE go_memstats_alloc_bytes_total unknown\ngo_memstats_alloc_bytes_total{job="node",instance="host:9100"} 9\n',
    );
    const text = (await exposition(registry, false)).body;
    expect(text).toContain('# TYPE go_memstats_alloc_bytes_total counter\n');
  });
});
