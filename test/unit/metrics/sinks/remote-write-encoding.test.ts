import { uncompressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { encodeRemoteWrite, remoteWriteHeaders } from '../../../../collectors/metrics/sinks/remote-write.ts';
import { decodeWriteRequest, isStaleNaN } from '../../../../collectors/metrics/sinks/remote-write-proto.ts';
import { scrapeBatch } from '../../../support/metrics-batch.ts';

const t = 1_700_000_000_000;

/** Encodes a whole batch and decodes it back with the same schema. */
function roundTrip(batch: ReturnType<typeof scrapeBatch>) {
  const body = encodeRemoteWrite([{ batch, start: 0, end: batch.samples.length + batch.stale.length }]);
  return decodeWriteRequest(uncompressSync(body) as Buffer);
}

describe('remote_write encoding', () => {
  it('sends one series per sample with __name__ and labels sorted by name (byte order), values and ms timestamps', () => {
    const batch = scrapeBatch({
      timestampMs: t, families: [{
        name: 'http_requests_total', type: 'counter', samples: [
          { labels: { zone: 'b', Code: '200', app: 'x' }, value: 12.5 },
          { labels: { zone: 'a', empty: '' }, value: 3, timestampMs: t - 1000 },
        ],
      }],
    });
    const request = roundTrip(batch);
    expect(request.timeseries).toHaveLength(2);
    expect(request.timeseries[0]!.labels).toEqual([
      { name: 'Code', value: '200' }, { name: '__name__', value: 'http_requests_total' }, { name: 'app', value: 'x' },
      { name: 'instance', value: '127.0.0.1:9100' }, { name: 'job', value: 'test' }, { name: 'zone', value: 'b' },
    ]);
    expect(request.timeseries[0]!.samples.map((s) => [s.value, Number(s.timestamp.toString())])).toEqual([[12.5, t]]);
    expect(request.timeseries[1]!.labels.map((l) => l.name)).toEqual(['__name__', 'instance', 'job', 'zone']);
    expect(Number(request.timeseries[1]!.samples[0]!.timestamp.toString())).toBe(t - 1000);
  });

  it('keeps NaN and ±Inf values and marks stale series with the StaleNaN bit pattern, unlike a plain NaN', () => {
    const batch = scrapeBatch({
      timestampMs: t,
      families: [{ name: 'g', type: 'gauge', samples: [{ labels: { k: 'nan' }, value: Number.NaN }, { labels: { k: 'inf' }, value: Number.NEGATIVE_INFINITY }] }],
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
      timestampMs: t, families: [{ name: 'g', type: 'gauge', samples: [1, 2, 3, 4].map((v) => ({ labels: { v: String(v) }, value: v })) }],
    });
    const request = decodeWriteRequest(uncompressSync(encodeRemoteWrite([{ batch, start: 1, end: 3 }])) as Buffer);
    expect(request.timeseries.map((s) => s.samples[0]!.value)).toEqual([2, 3]);
  });

  it('declares the headers of remote_write 1.0', () => {
    expect(remoteWriteHeaders).toMatchObject({
      'content-encoding': 'snappy', 'content-type': 'application/x-protobuf', 'x-prometheus-remote-write-version': '0.1.0',
    });
    expect(remoteWriteHeaders['user-agent']).toMatch(/^watchkeeper\//);
  });
});
