import { uncompressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { encodeRemoteWrite, remoteWriteHeaders } from '../../../../collectors/metrics/sinks/remote-write.ts';
import { RemoteWriteEncoder } from '../../../../collectors/metrics/sinks/remote-write-encoder.ts';
import {
  decodeWriteRequest,
  encodeWriteRequest,
  isStaleNaN,
  staleNaN,
} from '../../../../collectors/metrics/sinks/remote-write-proto.ts';
import { scrapeBatch, type TestFamily } from '../../../support/metrics-batch.ts';

const t = 1_700_000_000_000;

/** Encodes a whole batch and decodes it back with the same schema. */
function roundTrip(batch: ReturnType<typeof scrapeBatch>) {
  const body = encodeRemoteWrite([{ batch, start: 0, end: batch.samples.keys.length + batch.stale.length }]);
  return decodeWriteRequest(uncompressSync(body) as Buffer);
}

describe('remote_write encoding', () => {
  it('sends one series per sample with __name__ and labels sorted by name (byte order), values and ms timestamps', () => {
    const batch = scrapeBatch({
      timestampMs: t,
      families: [
        {
          name: 'http_requests_total',
          type: 'counter',
          samples: [
            { labels: { zone: 'b', Code: '200', app: 'x' }, value: 12.5 },
            { labels: { zone: 'a', empty: '' }, value: 3, timestampMs: t - 1000 },
          ],
        },
      ],
    });
    const request = roundTrip(batch);
    expect(request.timeseries).toHaveLength(2);
    expect(request.timeseries[0]!.labels).toEqual([
      { name: 'Code', value: '200' },
      { name: '__name__', value: 'http_requests_total' },
      { name: 'app', value: 'x' },
      { name: 'instance', value: '127.0.0.1:9100' },
      { name: 'job', value: 'test' },
      { name: 'zone', value: 'b' },
    ]);
    expect(request.timeseries[0]!.samples.map((s) => [s.value, Number(s.timestamp.toString())])).toEqual([[12.5, t]]);
    expect(request.timeseries[1]!.labels.map((l) => l.name)).toEqual(['__name__', 'instance', 'job', 'zone']);
    expect(Number(request.timeseries[1]!.samples[0]!.timestamp.toString())).toBe(t - 1000);
  });

  it('keeps NaN and ±Inf values and marks stale series with the StaleNaN bit pattern, unlike a plain NaN', () => {
    const batch = scrapeBatch({
      timestampMs: t,
      families: [
        {
          name: 'g',
          type: 'gauge',
          samples: [
            { labels: { k: 'nan' }, value: Number.NaN },
            { labels: { k: 'inf' }, value: Number.NEGATIVE_INFINITY },
          ],
        },
      ],
      stale: [{ name: 'gone', labels: { k: 'x' }, value: 1 }],
    });
    const [nan, inf, stale] = roundTrip(batch).timeseries;
    expect(Number.isNaN(nan!.samples[0]!.value)).toBe(true);
    expect(isStaleNaN(nan!.samples[0]!.value)).toBe(false);
    expect(inf!.samples[0]!.value).toBe(Number.NEGATIVE_INFINITY);
    expect(stale!.labels).toContainEqual({ name: '__name__', value: 'gone' });
    expect(isStaleNaN(stale!.samples[0]!.value)).toBe(true);
    expect(Number(stale!.samples[0]!.timestamp.toString())).toBe(t);
  });

  it('writes the stale marker bytes 0x7ff0000000000002 on the wire', () => {
    const batch = scrapeBatch({ timestampMs: t, families: [], stale: [{ name: 'gone', labels: {}, value: 1 }] });
    const raw = uncompressSync(encodeRemoteWrite([{ batch, start: 0, end: 1 }])) as Buffer;
    // Sample.value is field 1, wire type 1 (64-bit): tag byte 0x09, then the double little-endian.
    const at = raw.indexOf(Buffer.from([0x09, 0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]));
    expect(at).toBeGreaterThan(0);
  });

  it('encodes only the slice asked for', () => {
    const batch = scrapeBatch({
      timestampMs: t,
      families: [
        { name: 'g', type: 'gauge', samples: [1, 2, 3, 4].map((v) => ({ labels: { v: String(v) }, value: v })) },
      ],
    });
    const request = decodeWriteRequest(uncompressSync(encodeRemoteWrite([{ batch, start: 1, end: 3 }])) as Buffer);
    expect(request.timeseries.map((s) => s.samples[0]!.value)).toEqual([2, 3]);
  });

  it('writes exactly the bytes protobufjs writes for the same WriteRequest (unicode, long values, odd timestamps)', () => {
    const long = 'x'.repeat(300);
    const batch = scrapeBatch({
      timestampMs: t,
      families: [
        {
          name: 'g',
          type: 'gauge',
          samples: [
            { labels: { city: 'Zürich', emoji: '📈', long }, value: 0.1 },
            { labels: { a: '' }, value: Number.NaN, timestampMs: -5000 },
            { labels: { b: '1' }, value: -0, timestampMs: 1_700_000_000_123.75 },
            { labels: { c: '2' }, value: Number.POSITIVE_INFINITY, timestampMs: 0 },
            { labels: { d: '3' }, value: 0 },
          ],
        },
      ],
      stale: [{ name: 'gone', labels: { Z: 'upper', _: 'under' }, value: 1 }],
    });
    const expected = encodeWriteRequest({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'g' },
            { name: 'city', value: 'Zürich' },
            { name: 'emoji', value: '📈' },
            { name: 'instance', value: '127.0.0.1:9100' },
            { name: 'job', value: 'test' },
            { name: 'long', value: long },
          ],
          samples: [{ value: 0.1, timestamp: t }],
        },
        {
          labels: [
            { name: '__name__', value: 'g' },
            { name: 'instance', value: '127.0.0.1:9100' },
            { name: 'job', value: 'test' },
          ],
          samples: [{ value: Number.NaN, timestamp: -5000 }],
        },
        {
          labels: [
            { name: '__name__', value: 'g' },
            { name: 'b', value: '1' },
            { name: 'instance', value: '127.0.0.1:9100' },
            { name: 'job', value: 'test' },
          ],
          samples: [{ value: -0, timestamp: 1_700_000_000_123 }],
        },
        {
          labels: [
            { name: '__name__', value: 'g' },
            { name: 'c', value: '2' },
            { name: 'instance', value: '127.0.0.1:9100' },
            { name: 'job', value: 'test' },
          ],
          samples: [{ value: Number.POSITIVE_INFINITY, timestamp: 0 }],
        },
        {
          labels: [
            { name: '__name__', value: 'g' },
            { name: 'd', value: '3' },
            { name: 'instance', value: '127.0.0.1:9100' },
            { name: 'job', value: 'test' },
          ],
          samples: [{ value: 0, timestamp: t }],
        },
        {
          labels: [
            { name: 'Z', value: 'upper' },
            { name: '_', value: 'under' },
            { name: '__name__', value: 'gone' },
            { name: 'instance', value: '127.0.0.1:9100' },
            { name: 'job', value: 'test' },
          ],
          samples: [{ value: staleNaN, timestamp: t }],
        },
      ],
    });
    const encoder = new RemoteWriteEncoder();
    const actual = encoder.encode([{ batch, start: 0, end: 6 }]);
    // '_' sorts before '__name__' (a prefix comes first), 'Z' before both.
    expect(Buffer.from(actual).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    // The encoder reuses its buffer: a second, smaller request is not polluted by the first.
    const second = encoder.encode([{ batch, start: 3, end: 4 }]);
    expect(decodeWriteRequest(second).timeseries.map((s) => s.samples[0]!.value)).toEqual([Number.POSITIVE_INFINITY]);
  });

  it("adds the batch's target labels to every series: they win a conflict unless honorLabels, and an empty winner removes the label", () => {
    const families: TestFamily[] = [
      {
        name: 'g',
        type: 'gauge',
        samples: [
          { labels: { job: 'scraped', a: '1' }, value: 1 },
          { labels: { instance: '' }, value: 2 },
        ],
      },
    ];
    const stale = [{ name: 'gone', labels: { job: 'old' }, value: 0 }];
    const labelsOf = (honorLabels: boolean) =>
      roundTrip(scrapeBatch({ timestampMs: t, families, stale, honorLabels })).timeseries.map((series) =>
        Object.fromEntries(series.labels.map((l) => [l.name, l.value])),
      );
    expect(labelsOf(false)).toEqual([
      { __name__: 'g', a: '1', instance: '127.0.0.1:9100', job: 'test' },
      { __name__: 'g', instance: '127.0.0.1:9100', job: 'test' },
      { __name__: 'gone', instance: '127.0.0.1:9100', job: 'test' },
    ]);
    expect(labelsOf(true)).toEqual([
      { __name__: 'g', a: '1', instance: '127.0.0.1:9100', job: 'scraped' },
      { __name__: 'g', job: 'test' },
      { __name__: 'gone', instance: '127.0.0.1:9100', job: 'old' },
    ]);
  });

  it('grows its buffer for a request larger than it', () => {
    const big = 'v'.repeat(1000);
    const batch = scrapeBatch({
      timestampMs: t,
      families: [
        {
          name: 'g',
          type: 'gauge',
          samples: Array.from({ length: 3000 }, (_, i) => ({ labels: { i: String(i), big }, value: i })),
        },
      ],
    });
    const decoded = decodeWriteRequest(new RemoteWriteEncoder().encode([{ batch, start: 0, end: 3000 }]));
    expect(decoded.timeseries).toHaveLength(3000);
    expect(decoded.timeseries[2999]!.samples[0]!.value).toBe(2999);
  });

  it('declares the headers of remote_write 1.0', () => {
    expect(remoteWriteHeaders).toMatchObject({
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
    });
    expect(remoteWriteHeaders['user-agent']).toMatch(/^watchkeeper\//);
  });
});
