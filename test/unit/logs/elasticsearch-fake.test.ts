import { Client, errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElasticsearch, type FakeElasticsearch } from '../../fakes/elasticsearch/server.ts';

describe('Elasticsearch fake, driven by the official 9.x client', () => {
  let fake: FakeElasticsearch;
  let client: Client;
  beforeAll(async () => {
    fake = await startFakeElasticsearch();
    client = new Client({ node: fake.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await client.close();
    await fake.stop();
  });

  it('passes the product check and reports version 9', async () => {
    const info = await client.info();
    expect(info.version.number).toMatch(/^9\./);
  });

  it('stores templates and applies their mappings to new indices', async () => {
    await client.indices.putIndexTemplate({
      name: 't1',
      index_patterns: ['typed-*'],
      template: { mappings: { properties: { n: { type: 'long' } } } },
    });
    const got = await client.indices.getIndexTemplate({ name: 't1' });
    expect(got.index_templates[0]?.name).toBe('t1');
    const res = await client.bulk({
      operations: [
        { create: { _index: 'typed-1', _id: 'a' } },
        { n: 1 },
        { create: { _index: 'typed-1', _id: 'b' } },
        { n: 'abc' },
      ],
    });
    expect(res.errors).toBe(true);
    expect(res.items[0]?.create?.status).toBe(201);
    expect(res.items[1]?.create?.status).toBe(400);
    expect(res.items[1]?.create?.error?.type).toBe('document_parsing_exception');
  });

  it('answers create of an existing id with 409 and counts and searches by term', async () => {
    const again = await client.bulk({ operations: [{ create: { _index: 'typed-1', _id: 'a' } }, { n: 1 }] });
    expect(again.items[0]?.create?.status).toBe(409);
    await client.indices.refresh({ index: 'typed-1' });
    expect((await client.count({ index: 'typed-*' })).count).toBe(1);
    const found = await client.search({ index: 'typed-1', query: { term: { n: 1 } } });
    expect(found.hits.hits.map((h) => h._id)).toEqual(['a']);
    await expect(client.count({ index: 'missing' })).rejects.toThrow(errors.ResponseError);
  });

  it('injects whole-request 429 with Retry-After, per-item 429 and connection drops', async () => {
    fake.faults.bulkStatus = { status: 429, count: 1, retryAfterSeconds: 2 };
    const err = await client.bulk({ operations: [{ index: { _index: 'x' } }, { a: 1 }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect((err as errors.ResponseError).statusCode).toBe(429);
    expect((err as errors.ResponseError).headers?.['retry-after']).toBe('2');
    fake.faults.itemReject = { match: (id) => id === 'r', times: 1 };
    const first = await client.bulk({ operations: [{ create: { _index: 'x', _id: 'r' } }, { a: 1 }] });
    expect(first.items[0]?.create?.status).toBe(429);
    const second = await client.bulk({ operations: [{ create: { _index: 'x', _id: 'r' } }, { a: 1 }] });
    expect(second.items[0]?.create?.status).toBe(201);
    fake.faults.dropAfterIndexing = 1;
    await expect(client.bulk({ operations: [{ create: { _index: 'x', _id: 'd' } }, { a: 1 }] })).rejects.toThrow();
    expect(fake.documents('x').map((d) => d._id)).toContain('d');
  });

  it('creates data streams from templates and only accepts create into them', async () => {
    await client.indices.putIndexTemplate({
      name: 'ds',
      index_patterns: ['logs-ds-*'],
      data_stream: {},
      priority: 200,
    });
    const bad = await client.bulk({
      operations: [{ index: { _index: 'logs-ds-a' } }, { '@timestamp': '2025-01-01T00:00:00Z' }],
    });
    expect(bad.items[0]?.index?.status).toBe(400);
    const ok = await client.bulk({
      operations: [{ create: { _index: 'logs-ds-a' } }, { '@timestamp': '2025-01-01T00:00:00Z' }],
    });
    expect(ok.items[0]?.create?._index).toMatch(/^\.ds-logs-ds-a-/);
    expect((await client.count({ index: 'logs-ds-a' })).count).toBe(1);
  });
});
