import { describe, expect, it } from 'vitest';
import { boundFieldName, familyOf, toInfluxLines } from '../../../../collectors/metrics/sinks/influx-mapping.ts';
import type { FamilyMeta } from '../../../../collectors/metrics/types.ts';
import { histogramFamily, scrapeBatch, summaryFamily } from '../../../support/metrics-batch.ts';

const t = 1_700_000_000_000;

/** Line protocol of one batch, sorted for stable comparison. */
function lines(batch: ReturnType<typeof scrapeBatch>): string[] {
  return toInfluxLines([{ batch, start: 0, end: batch.samples.keys.length + batch.stale.length }]).lines.sort();
}

describe('InfluxDB mapping', () => {
  it('writes counters, gauges and untyped samples as one field named after the type, labels as tags, ms timestamps', () => {
    const batch = scrapeBatch({
      timestampMs: t,
      families: [
        { name: 'http_requests_total', type: 'counter', samples: [{ labels: { code: '200' }, value: 1027 }] },
        { name: 'temperature_celsius', type: 'gauge', samples: [{ value: -3.5, timestampMs: t - 5000 }] },
        { name: 'mystery', type: 'untyped', samples: [{ value: 7 }] },
      ],
    });
    expect(lines(batch)).toEqual([
      `http_requests_total,code=200,instance=127.0.0.1:9100,job=test counter=1027 ${t}`,
      `mystery,instance=127.0.0.1:9100,job=test value=7 ${t}`,
      `temperature_celsius,instance=127.0.0.1:9100,job=test gauge=-3.5 ${t - 5000}`,
    ]);
  });

  it('writes a histogram as one line per series: a field per bucket bound, sum and count; le is not a tag', () => {
    const batch = scrapeBatch({
      timestampMs: t,
      families: [
        histogramFamily(
          'rpc_seconds',
          { method: 'get' },
          [
            ['0.1', 3],
            ['1.0', 5],
            ['+Inf', 6],
          ],
          2.25,
          6,
        ),
      ],
    });
    expect(lines(batch)).toEqual([
      `rpc_seconds,instance=127.0.0.1:9100,job=test,method=get +Inf=6,0.1=3,1=5,count=6,sum=2.25 ${t}`,
    ]);
  });

  it('writes a summary as one line: a field per quantile, sum and count; quantile is not a tag', () => {
    const batch = scrapeBatch({
      timestampMs: t,
      families: [
        summaryFamily(
          'gc_seconds',
          {},
          [
            ['0.5', 0.01],
            ['0.99', 0.2],
          ],
          12.5,
          400,
        ),
      ],
    });
    expect(lines(batch)).toEqual([
      `gc_seconds,instance=127.0.0.1:9100,job=test 0.5=0.01,0.99=0.2,count=400,sum=12.5 ${t}`,
    ]);
  });

  it('maps OpenMetrics counters (family without _total) and _created to the same measurement', () => {
    const batch = scrapeBatch({
      timestampMs: t,
      families: [
        {
          name: 'jobs',
          type: 'counter',
          samples: [
            { name: 'jobs_total', value: 3 },
            { name: 'jobs_created', value: 1_600_000_000 },
          ],
        },
      ],
    });
    expect(lines(batch)).toEqual([`jobs_total,instance=127.0.0.1:9100,job=test counter=3,created=1600000000 ${t}`]);
  });

  it('skips NaN and ±Inf values and stale markers, and says how many', () => {
    const batch = scrapeBatch({
      timestampMs: t,
      families: [
        summaryFamily(
          'lat',
          {},
          [
            ['0.5', Number.NaN],
            ['0.9', 1],
          ],
          3,
          3,
        ),
        {
          name: 'g',
          type: 'gauge',
          samples: [
            { labels: { a: '1' }, value: Number.POSITIVE_INFINITY },
            { labels: { a: '2' }, value: Number.NEGATIVE_INFINITY },
          ],
        },
      ],
      stale: [{ name: 'old', labels: {}, value: Number.NaN }],
    });
    const mapped = toInfluxLines([{ batch, start: 0, end: batch.samples.keys.length + 1 }]);
    expect(mapped.lines).toEqual([`lat,instance=127.0.0.1:9100,job=test 0.9=1,count=3,sum=3 ${t}`]);
    expect(mapped).toMatchObject({ samples: 3, nonFinite: 3, staleMarkers: 1 });
  });

  it('escapes measurement, tag and field syntax and leaves out empty label values', () => {
    const batch = scrapeBatch({
      timestampMs: t,
      families: [{ name: 'g', type: 'gauge', samples: [{ labels: { path: '/a b,c=d', empty: '' }, value: 1 }] }],
    });
    expect(lines(batch)).toEqual([`g,instance=127.0.0.1:9100,job=test,path=/a\\ b\\,c\\=d gauge=1 ${t}`]);
  });

  it('finds the family of a sample from its name and the suffixes its type allows', () => {
    const families = new Map<string, FamilyMeta>([
      ['rpc', { name: 'rpc', type: 'histogram' }],
      ['up', { name: 'up', type: 'gauge' }],
    ]);
    expect(familyOf('rpc_bucket', families)?.name).toBe('rpc');
    expect(familyOf('up', families)?.name).toBe('up');
    expect(familyOf('up_total', families)).toBeUndefined();
    expect(familyOf('other_sum', families)).toBeUndefined();
  });

  it('names bucket fields by the bound as a number, so 1.0 and 1 are one field', () => {
    expect(['1.0', '1', '+Inf', '1e-3', '0.25'].map(boundFieldName)).toEqual(['1', '1', '+Inf', '0.001', '0.25']);
  });
});
