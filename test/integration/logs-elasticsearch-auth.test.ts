import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, shipperRole, startElasticsearch, type ElasticsearchServer } from '../env/index.ts';
import { httpCall } from '../env/http.ts';
import { until } from '../support/eventually.ts';
import { AgentProcess, writeAgentConfig } from '../unit/logs/support/agent-process.ts';

// The agent's Elasticsearch sink (node:http client) against a real Elasticsearch 9.2 with security on
// (test/env: file-realm users, plain http on loopback). Proves basic auth from the config and from the
// URL, and that a refused credential (401: unknown user, wrong API key) keeps the lines: nothing
// stored, nothing dead-lettered, /readyz and the failing gauge say why, and the lines are shipped once
// the credential works (the user added while the agent runs; after a restart with a working one).
// No valid API key: the integ-test distribution cannot create them (test/env/README.md).
describe('log shipper authentication against a secured Elasticsearch 9.2', () => {
  let es: ElasticsearchServer;
  let dir: string;
  let agent: AgentProcess | undefined;
  let status = '';
  const lateUser = 'late-shipper';
  const latePassword = randomBytes(9).toString('hex');
  const keySecret = randomBytes(9).toString('hex');
  const refusedKey = Buffer.from(`revoked-key-id:${keySecret}`).toString('base64');

  beforeAll(async () => {
    es = await startElasticsearch({ security: true });
    dir = mkdtempSync(join(tmpdir(), 'wk-es-auth-'));
  }, 300_000);

  afterAll(async () => {
    await agent?.stop();
    await es?.stop();
  });

  const credentials = (): { username: string; password: string } => ({
    username: es.credentials!.username,
    password: es.credentials!.password,
  });

  /** (Re)starts the agent with this `logs.elasticsearch` section, on the same data directory. */
  const run = async (elasticsearch: Record<string, unknown>): Promise<void> => {
    await agent?.stop();
    const file = writeAgentConfig(dir, {
      containers: { paths: [join(dir, 'pods/*/*/*.log')], startAt: 'beginning' },
      sink: 'elasticsearch',
      elasticsearch: { initialBackoffMs: 100, maxBackoffMs: 1000, ...elasticsearch },
    });
    const config = parse(readFileSync(file, 'utf8')) as { server: { port: number }; shutdownTimeoutSeconds: number };
    const port = await freePort();
    config.server.port = port;
    config.shutdownTimeoutSeconds = 2;
    writeFileSync(file, stringify(config));
    status = `http://127.0.0.1:${port}`;
    agent = new AgentProcess(file, join(dir, 'agent.log'));
    await agent.start();
  };

  /** Writes `n` container log lines of a pod in `namespace`. */
  const writePod = (namespace: string, n: number): void => {
    const path = join(dir, `pods/${namespace}_app-1_u1/app/0.log`);
    mkdirSync(join(path, '..'), { recursive: true });
    const lines = Array.from({ length: n }, (_, i) => `2026-01-02T03:04:05Z stdout F ${namespace} line ${i}\n`);
    writeFileSync(path, lines.join(''));
  };

  /** Documents stored for a namespace, read as the test superuser. */
  const stored = async (namespace: string): Promise<number> => {
    const auth = es.credentials!.auth;
    await httpCall('POST', `${es.url}/watchkeeper-logs-*/_refresh?allow_no_indices=true`, undefined, auth);
    const answer = await httpCall(
      'POST',
      `${es.url}/watchkeeper-logs-*/_count?allow_no_indices=true`,
      { query: { term: { 'kubernetes.namespace': namespace } } },
      auth,
    );
    if (answer.status !== 200) throw new Error(`_count answered ${answer.status}: ${answer.body}`);
    return (JSON.parse(answer.body) as { count: number }).count;
  };

  const readyz = async (): Promise<{ status: number; body: string }> => {
    const answer = await fetch(`${status}/readyz?verbose`);
    return { status: answer.status, body: await answer.text() };
  };

  /** The value of a metric without labels or summed over its series (0 when absent). */
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${status}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  };

  const agentLog = (): string => readFileSync(join(dir, 'agent.log'), 'utf8');

  // First, so that this user installs the index template and creates the index itself.
  it('ships as a user with only the documented role (create_doc, auto_configure, manage_index_templates)', async () => {
    const password = randomBytes(9).toString('hex');
    es.credentials!.addUser('least-shipper', password, shipperRole);
    await run({ url: es.url, username: 'least-shipper', password });
    writePod('least', 50);
    await until(async () => (await stored('least')) === 50, 'lines stored with the least role', 60_000);
    expect(await metric('watchkeeper_logs_dead_lettered_total')).toBe(0);
  });

  it('ships with basic auth from the config', async () => {
    await run({ url: es.url, ...credentials() });
    writePod('basic', 50);
    await until(async () => (await stored('basic')) === 50, 'lines stored with basic auth', 60_000);
    expect((await readyz()).status).toBe(200);
  });

  it('ships with the user and password in the URL', async () => {
    const { username, password } = credentials();
    await run({ url: es.url.replace('http://', `http://${username}:${password}@`) });
    writePod('inurl', 50);
    await until(async () => (await stored('inurl')) === 50, 'lines stored with credentials in the URL', 60_000);
  });

  it('keeps lines refused with 401 (unknown user) and ships them once the user exists', async () => {
    await run({ url: es.url, username: lateUser, password: latePassword });
    writePod('late', 40);
    await until(async () => (await readyz()).status !== 200, 'readyz reports the failing sink', 60_000);
    const ready = await readyz();
    expect(ready.body).toContain('Elasticsearch answered 401');
    expect(ready.body).toContain('check elasticsearch.username and password');
    expect(await metric('watchkeeper_logs_sink_failing')).toBe(1);
    expect(await metric('watchkeeper_logs_sink_write_failures_total')).toBeGreaterThan(0);
    expect(await metric('watchkeeper_logs_dead_lettered_total')).toBe(0);
    expect(existsSync(join(dir, 'data', 'dead-letter.ndjson'))).toBe(false);
    expect(await stored('late')).toBe(0);
    expect(agentLog()).toContain('Elasticsearch refuses the credentials; lines are kept');

    es.credentials!.addUser(lateUser, latePassword);
    await until(async () => (await stored('late')) === 40, 'refused lines stored once the user exists', 60_000);
    await until(async () => (await readyz()).status === 200, 'readyz ready again', 30_000);
    expect(await metric('watchkeeper_logs_sink_failing')).toBe(0);
    expect(await metric('watchkeeper_logs_dead_lettered_total')).toBe(0);
    expect(await stored('late')).toBe(40);
  });

  it('keeps lines refused with 401 (wrong API key), ships them after a restart with working credentials', async () => {
    // Templates are in place from the tests above: without installing them, the _bulk request itself is refused.
    await run({ url: es.url, apiKey: refusedKey, installTemplate: false });
    writePod('apikey', 30);
    await until(async () => (await readyz()).status !== 200, 'readyz reports the failing sink', 60_000);
    const ready = await readyz();
    expect(ready.body).toContain('Elasticsearch answered 401 to POST /_bulk');
    expect(ready.body).toContain('elasticsearch.apiKey (expired or revoked?)');
    expect(await metric('watchkeeper_logs_dead_lettered_total')).toBe(0);
    expect(await stored('apikey')).toBe(0);

    await run({ url: es.url, ...credentials() });
    await until(async () => (await stored('apikey')) === 30, 'kept lines stored after the restart', 60_000);
    expect(await stored('apikey')).toBe(30);
    expect(existsSync(join(dir, 'data', 'dead-letter.ndjson'))).toBe(false);
  });

  it('never logs a password or an API key', () => {
    const log = agentLog();
    const { username, password } = credentials();
    expect(log).toContain('Elasticsearch answered 401');
    for (const secret of [
      password,
      latePassword,
      keySecret,
      refusedKey,
      Buffer.from(`${username}:${password}`).toString('base64'),
      Buffer.from(`${lateUser}:${latePassword}`).toString('base64'),
    ])
      expect(log).not.toContain(secret);
  });
});
