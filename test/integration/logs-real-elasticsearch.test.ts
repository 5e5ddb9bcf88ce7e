import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentProcess,
  CriWriter,
  eventually,
  messageKey,
  writeAgentConfig,
} from '../unit/logs/support/agent-process.ts';
import { startElasticsearch, type ElasticsearchServer } from '../env/index.ts';

// Against a real Elasticsearch 9.2 (Maven Central integ-test distribution, JDK 21+, from
// test/env): the index templates are accepted, documents land with the mapped types, audit Secret
// bodies are absent, nothing is lost across rename and copytruncate rotation, re-sent events
// after SIGKILL are answered as conflicts (asserted) and not stored twice, dead letters go to the
// dead-letter index, and credentials in the URL are never logged or printed.
describe('log shipper against a real Elasticsearch 9.2', () => {
  let es: ElasticsearchServer;
  let client: Client;
  let agent: AgentProcess;
  let dir: string;
  let config: string;
  const password = 's3cret-in-url';

  beforeAll(async () => {
    es = await startElasticsearch();
    client = new Client({ node: es.url });
    dir = mkdtempSync(join(tmpdir(), 'wk-real-es-'));
    mkdirSync(join(dir, 'pods'));
    mkdirSync(join(dir, 'audit'));
    mkdirSync(join(dir, 'components'));
    // Security is off in the test node: it ignores the credentials, but the agent must not show them.
    config = writeAgentConfig(dir, {
      containers: { paths: [join(dir, 'pods/*/*/*.log')], startAt: 'beginning', parseJson: true },
      components: [{ name: 'kube-scheduler', paths: [join(dir, 'components/*.log')], startAt: 'beginning' }],
      audit: { paths: [join(dir, 'audit/audit*.log')] },
      sink: 'elasticsearch',
      elasticsearch: { url: es.url.replace('http://', `http://elastic:${password}@`), initialBackoffMs: 100 },
      deadLetter: { target: 'index' },
    });
    agent = new AgentProcess(config, join(dir, 'agent.log'));
    await agent.start();
  }, 400_000);

  afterAll(async () => {
    await agent?.stop();
    await client?.close();
    await es?.stop();
  });

  const count = async (index: string, query?: Record<string, unknown>): Promise<number> => {
    await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
    return (
      await client.count({ index, allow_no_indices: true, ignore_unavailable: true, ...(query ? { query } : {}) })
    ).count;
  };

  it('installs the templates and stores container, component and audit events with their types', async () => {
    // Templates are installed in the background right after start.
    await eventually(
      async () =>
        (await client.indices.getIndexTemplate({ name: 'watchkeeper-*' }, { ignore: [404] })).index_templates
          ?.length === 2,
      30_000,
      200,
    );
    const templates = await client.indices.getIndexTemplate({ name: 'watchkeeper-*' });
    expect(templates.index_templates.map((t) => t.name).sort()).toEqual(['watchkeeper-audit', 'watchkeeper-logs']);

    const pod = join(dir, 'pods/shop_cart-7d9f_0c8e/app/0.log');
    mkdirSync(join(dir, 'pods/shop_cart-7d9f_0c8e/app'), { recursive: true });
    writeFileSync(
      pod,
      [
        '2026-01-02T03:04:05.123456789Z stdout F plain line',
        '2026-01-02T05:04:05.5+02:00 stderr F {"level":"error","code":7}',
        '2026-01-02T03:04:06Z stdout P first half ',
        '2026-01-02T03:04:06Z stdout F second half',
      ].join('\n') + '\n',
    );
    writeFileSync(
      join(dir, 'components/kube-scheduler.log'),
      'E0102 03:04:05.000001       7 schedule_one.go:1] no nodes available\n  to schedule pods\n',
    );
    const audit = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'RequestResponse',
      auditID: 'b7c1',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/shop/secrets',
      verb: 'create',
      user: { username: 'alice', groups: ['dev'] },
      sourceIPs: ['10.1.2.3'],
      objectRef: { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestObject: { kind: 'Secret', data: { password: 'aHVudGVyMg==' } },
      requestReceivedTimestamp: '2026-01-02T03:04:05.000000Z',
      stageTimestamp: '2026-01-02T03:04:05.010000Z',
    };
    writeFileSync(join(dir, 'audit/audit.log'), `${JSON.stringify(audit)}\n`);

    expect(
      await eventually(
        async () => (await count('watchkeeper-logs-*')) >= 4 && (await count('watchkeeper-audit-*')) >= 1,
        60_000,
        500,
      ),
    ).toBe(true);
    expect(await count('watchkeeper-logs-*', { term: { 'kubernetes.namespace': 'shop' } })).toBe(3);
    expect(await count('watchkeeper-logs-*', { term: { 'json.level': 'error' } })).toBe(1);
    expect(await count('watchkeeper-logs-*', { match_phrase: { message: 'first half second half' } })).toBe(1);
    expect(
      await count('watchkeeper-logs-*', {
        bool: { filter: [{ term: { severity: 'ERROR' } }, { term: { component: 'kube-scheduler' } }] },
      }),
    ).toBe(1);
    expect(
      await count('watchkeeper-audit-*', {
        bool: {
          filter: [
            { term: { 'user.username': 'alice' } },
            { term: { verb: 'create' } },
            { term: { 'objectRef.name': 'db' } },
          ],
        },
      }),
    ).toBe(1);
    const auditDoc = await client.search({ index: 'watchkeeper-audit-*', query: { term: { auditID: 'b7c1' } } });
    expect(JSON.stringify(auditDoc.hits.hits[0]?._source)).not.toContain('aHVudGVyMg');
    const mapping = await client.indices.getMapping({ index: 'watchkeeper-logs-*' });
    const properties = Object.values(mapping)[0]!.mappings.properties!;
    expect(properties['@timestamp']?.type).toBe('date_nanos');
    expect(properties.json?.type).toBe('flattened');
  });

  const conflicts = async (): Promise<number> => {
    const stats = await client.indices.stats({ index: 'watchkeeper-logs-*', metric: 'indexing' });
    return (
      (stats._all.primaries?.indexing as { index_failed_due_to_version_conflict?: number } | undefined)
        ?.index_failed_due_to_version_conflict ?? 0
    );
  };

  it('loses nothing across rename rotation and copytruncate at a high rate, and stores nothing twice', async () => {
    const renamed = [0, 1].map(
      (i) => new CriWriter(join(dir, `pods/rot_renamed-${i}_u${i}/app/0.log`), `renamed-${i}`),
    );
    const truncated = [0, 1].map(
      (i) => new CriWriter(join(dir, `pods/rot_copied-${i}_u${i}/app/0.log`), `copied-${i}`),
    );
    for (let round = 0; round < 60; round++) {
      for (const w of [...renamed, ...truncated]) w.write(100);
      if (round % 3 === 2) for (const w of renamed) w.rotateByRename();
      if (round % 3 === 1) for (const w of truncated) w.rotateByCopyTruncate();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const writers = [...renamed, ...truncated];
    const total = writers.reduce((n, w) => n + w.written.length, 0);
    const query = { term: { 'kubernetes.namespace': 'rot' } };
    expect(await eventually(async () => (await count('watchkeeper-logs-*', query)) >= total, 90_000, 500)).toBe(true);
    // Per pod (6,000 documents each): one page holds them all.
    const stored: string[] = [];
    for (const pod of ['renamed-0', 'renamed-1', 'copied-0', 'copied-1']) {
      const page = await client.search<{ message: string }>({
        index: 'watchkeeper-logs-*',
        size: 10_000,
        _source: ['message'],
        query: { bool: { filter: [query, { term: { 'kubernetes.pod.name': pod } }] } },
      });
      stored.push(...page.hits.hits.map((h) => messageKey(h._source!.message)));
    }
    const have = new Set(stored);
    expect(writers.flatMap((w) => w.written.filter((m) => !have.has(m)))).toEqual([]);
    expect(stored).toHaveLength(total);
  });

  it('does not store re-sent events twice after SIGKILL and restarts', async () => {
    const conflictsBefore = await conflicts();
    const writer = new CriWriter(join(dir, 'pods/kill_pod-1_u1/app/0.log'), 'real');
    // Enough lines that each kill lands while batches are still unacknowledged, even on an idle machine
    // (3,000 lines were all acknowledged within the wait there, and nothing was re-sent).
    for (let round = 0; round < 3; round++) {
      writer.write(20_000);
      await new Promise((resolve) => setTimeout(resolve, 150));
      await agent.kill9();
      writer.write(500);
      await agent.start();
    }
    appendFileSync(writer.path, '');
    const total = writer.written.length;
    expect(
      await eventually(
        async () => (await count('watchkeeper-logs-*', { term: { 'kubernetes.namespace': 'kill' } })) >= total,
        90_000,
        500,
      ),
    ).toBe(true);
    expect(await count('watchkeeper-logs-*', { term: { 'kubernetes.namespace': 'kill' } })).toBe(total);
    // The kills left batches unacknowledged: they were sent again and Elasticsearch refused them as existing.
    expect(await conflicts()).toBeGreaterThan(conflictsBefore);
  });

  it('writes events Elasticsearch rejects to the dead-letter index, with the reason', async () => {
    // A timestamp that looks like one but is no date: the date_nanos field refuses the document.
    const path = join(dir, 'pods/dead_letter-1_u1/app/0.log');
    mkdirSync(join(dir, 'pods/dead_letter-1_u1/app'), { recursive: true });
    writeFileSync(path, '2026-13-45T99:99:99Z stdout F not a real date\n2026-01-02T03:04:05Z stdout F fine\n');
    expect(await eventually(async () => (await count('watchkeeper-dead-letters')) >= 1, 60_000, 500)).toBe(true);
    const letters = await client.search<{ reason: string; document: string; index: string }>({
      index: 'watchkeeper-dead-letters',
    });
    const letter = letters.hits.hits.find((h) => h._source!.document.includes('not a real date'))!._source!;
    expect(letter.reason).toBe('document_parsing_exception');
    expect(letter.index).toMatch(/^watchkeeper-logs-/);
    expect(await count('watchkeeper-logs-*', { match_phrase: { message: 'fine' } })).toBe(1);
  });

  it('never logs or prints the password of the Elasticsearch URL, and warns that it goes in clear text', () => {
    const log = readFileSync(join(dir, 'agent.log'), 'utf8');
    expect(log).toContain('[masked]@');
    expect(log).toContain('clear text over http://');
    expect(log).not.toContain(password);
    const root = join(import.meta.dirname, '../..');
    const printed = execFileSync(
      join(root, 'node_modules/.bin/node'),
      ['cli/main.ts', 'config', 'check', '-c', config, '-o', 'json'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(printed).toContain('[masked]@');
    expect(printed).not.toContain(password);
  });
});
