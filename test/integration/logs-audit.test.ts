import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpsRequest } from 'node:https';
import { Client } from '@elastic/elasticsearch';
import { resolveKubeAccess } from '../../core/kube/access.ts';
import {
  freePort,
  Pki,
  startCluster,
  startElasticsearch,
  type Cluster,
  type ElasticsearchServer,
} from '../env/index.ts';
import { AgentProcess, eventually, writeAgentConfig } from '../unit/logs/support/agent-process.ts';

// A real API server writes its audit log and POSTs audit batches to the agent's webhook receiver
// (TLS, bearer token); the agents ship both to a real Elasticsearch 9.2. Real API calls (create
// and delete a pod) must show up with user, verb, object and timestamps; requests with forged
// Audit-ID headers (reused, with quotes, with tabs) must each be stored, none hiding another. The
// same cluster's pod watch enriches container logs with labels and node.

const namespace = 'logs-audit-test';
const token = 'audit-webhook-token-0123456789';

interface AuditSource {
  verb?: string;
  stage?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; namespace?: string; name?: string };
  requestReceivedTimestamp?: string;
  stageTimestamp?: string;
  sourceIPs?: string[];
  '@timestamp'?: string;
}

describe('audit log and audit webhook from a real API server', () => {
  let es: ElasticsearchServer;
  let client: Client;
  let cluster: Cluster;
  let fileAgent: AgentProcess;
  let webhookAgent: AgentProcess;
  let dir: string;
  let podUid = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wk-logs-audit-'));
    mkdirSync(join(dir, 'pki'));
    const pki = await Pki.create(join(dir, 'pki'));
    const serving = await pki.issue({
      name: 'webhook',
      commonName: 'audit-webhook',
      altNames: ['IP:127.0.0.1'],
      usage: 'server',
    });
    const port = await freePort();
    // Both start slowly (a JVM, a control plane): side by side.
    [es, cluster] = await Promise.all([
      startElasticsearch(),
      startCluster({ nodes: 1, auditWebhook: { url: `https://127.0.0.1:${port}/audit`, caFile: pki.caFile, token } }),
    ]);
    client = new Client({ node: es.url });

    const fileDir = join(dir, 'file');
    mkdirSync(fileDir);
    fileAgent = new AgentProcess(
      writeAgentConfig(fileDir, {
        containers: { enabled: false },
        audit: { paths: [join(dirname(cluster.auditLogPath), 'audit*.log')], startAt: 'beginning' },
        sink: 'elasticsearch',
        elasticsearch: { url: es.url, indexPrefix: 'from-file', initialBackoffMs: 50 },
      }),
      join(fileDir, 'agent.log'),
    );

    const hookDir = join(dir, 'hook');
    mkdirSync(join(hookDir, 'pods'), { recursive: true });
    const config = writeAgentConfig(hookDir, {
      enrichFromApi: true,
      containers: { paths: [join(hookDir, 'pods/*/*/*.log')], startAt: 'beginning' },
      auditWebhook: {
        enabled: true,
        host: '127.0.0.1',
        port,
        certFile: serving.certFile,
        keyFile: serving.keyFile,
        token,
      },
      sink: 'elasticsearch',
      elasticsearch: { url: es.url, indexPrefix: 'from-hook', initialBackoffMs: 50 },
    });
    // The agent reads the kubeconfig from the configuration's kubernetes section.
    writeFileSync(
      config,
      `kubernetes:\n  kubeconfig: ${cluster.adminKubeconfig}\n${(await import('node:fs')).readFileSync(config, 'utf8')}`,
    );
    webhookAgent = new AgentProcess(config, join(hookDir, 'agent.log'));
    await Promise.all([fileAgent.start(), webhookAgent.start()]);

    expect((await cluster.request('POST', '/api/v1/namespaces', { metadata: { name: namespace } })).status).toBe(201);
    const created = await cluster.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
      metadata: { name: 'audited', labels: { app: 'audited' } },
      spec: {
        containers: [{ name: 'app', image: 'registry.example/app:1' }],
        nodeSelector: { type: 'kwok' },
        tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
      },
    });
    expect(created.status).toBe(201);
    podUid = (JSON.parse(created.body) as { metadata: { uid: string } }).metadata.uid;
  }, 400_000);

  afterAll(async () => {
    await fileAgent?.stop();
    await webhookAgent?.stop();
    await cluster?.stop();
    await client?.close();
    await es?.stop();
  });

  /** Every stored document of the indices (refreshed first). */
  const documents = async (index: string): Promise<{ _id: string; _source: Record<string, unknown> }[]> => {
    await client.indices.refresh({ index, allow_no_indices: true, ignore_unavailable: true });
    const page = await client.search<Record<string, unknown>>({
      index,
      size: 10_000,
      allow_no_indices: true,
      ignore_unavailable: true,
    });
    return page.hits.hits.map((h) => ({ _id: h._id!, _source: h._source! }));
  };
  let cached: Record<string, AuditSource[]> = {};
  const events = (prefix: string): AuditSource[] => cached[prefix] ?? [];
  const refresh = async (): Promise<void> => {
    cached = {};
    for (const prefix of ['from-file', 'from-hook'])
      cached[prefix] = (await documents(`${prefix}-audit-*`)).map((d) => d._source as AuditSource);
  };
  const find = (prefix: string, verb: string): AuditSource | undefined =>
    events(prefix).find(
      (e) =>
        e.verb === verb &&
        e.stage === 'ResponseComplete' &&
        e.objectRef?.resource === 'pods' &&
        e.objectRef.name === 'audited' &&
        e.objectRef.namespace === namespace,
    );

  it('ships the pod create and delete from the audit log file and from the webhook, with who, what and when', async () => {
    // Wait until the pod is scheduled (the watch sees its node), then delete it.
    await eventually(async () => {
      const pod = await cluster.request('GET', `/api/v1/namespaces/${namespace}/pods/audited`);
      return (JSON.parse(pod.body) as { spec?: { nodeName?: string } }).spec?.nodeName !== undefined;
    }, 60_000);
    expect(
      (await cluster.request('DELETE', `/api/v1/namespaces/${namespace}/pods/audited?gracePeriodSeconds=0`)).status,
    ).toBe(200);

    for (const prefix of ['from-file', 'from-hook']) {
      await eventually(
        async () => {
          await refresh();
          return find(prefix, 'create') !== undefined && find(prefix, 'delete') !== undefined;
        },
        90_000,
        1000,
      );
      for (const verb of ['create', 'delete']) {
        const event = find(prefix, verb);
        expect(event, `${prefix} ${verb}`).toBeDefined();
        expect(event!.user?.username).toBeTruthy();
        expect(event!.sourceIPs?.length).toBeGreaterThan(0);
        expect(Date.parse(event!.requestReceivedTimestamp ?? '')).toBeGreaterThan(Date.now() - 600_000);
        expect(Date.parse(event!.stageTimestamp ?? '')).toBeGreaterThanOrEqual(
          Date.parse(event!.requestReceivedTimestamp ?? ''),
        );
        expect(event!['@timestamp']).toBe(event!.stageTimestamp);
      }
    }
  });

  it('enriches container logs with labels and node from the watched pod', async () => {
    const node = cluster.nodes[0]!;
    const path = join(dir, 'hook', 'pods', `${namespace}_enriched_uid-1`, 'app', '0.log');
    const pod = await cluster.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
      metadata: { name: 'enriched', labels: { team: 'logs' }, annotations: { note: 'kept' } },
      spec: {
        containers: [{ name: 'app', image: 'registry.example/app:1' }],
        nodeName: node,
        tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists' }],
      },
    });
    expect(pod.status).toBe(201);
    // The pod cache sees the pod before the file appears, as on a node.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${new Date().toISOString()} stdout F hello from enriched\n`);
    await eventually(
      async () => (await documents('from-hook-logs-*')).some((d) => d._source.message === 'hello from enriched'),
      60_000,
      1000,
    );
    const doc = (await documents('from-hook-logs-*')).find((d) => d._source.message === 'hello from enriched')!;
    expect(doc._source.kubernetes).toMatchObject({
      namespace,
      pod: { name: 'enriched' },
      labels: { team: 'logs' },
      annotations: { note: 'kept' },
      node: { name: node },
    });
    expect(podUid).not.toBe('');
  });

  it('stores every request made with a forged Audit-ID (reused, quotes, tabs), each under its own id', async () => {
    const access = await resolveKubeAccess({ kubeconfig: cluster.adminKubeconfig });
    const headers = await access.authHeaders();
    const get = (name: string, auditId: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const url = new URL(`${access.server}/api/v1/namespaces/${namespace}/configmaps/${name}`);
        const req = httpsRequest(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'GET',
            headers: { ...headers, 'Audit-ID': auditId },
            ...(access.tls.ca ? { ca: access.tls.ca } : {}),
            ...(access.tls.cert ? { cert: access.tls.cert, key: access.tls.key } : {}),
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    // The first request gets an ID; the others reuse it or try to break the bulk request and the queue lines.
    const forged = ['forged-1', 'forged-1', 'q"uote\\"}}', 'tab\there'];
    for (const [i, id] of forged.entries()) expect(await get(`missing-${i}`, id)).toBe(404);
    const mine = (prefix: string): AuditSource[] =>
      events(prefix).filter((e) => e.objectRef?.resource === 'configmaps' && e.objectRef.name?.startsWith('missing-'));
    for (const prefix of ['from-file', 'from-hook']) {
      await eventually(
        async () => {
          await refresh();
          return mine(prefix).length >= forged.length;
        },
        90_000,
        1000,
      );
      const stored = mine(prefix) as (AuditSource & { auditID?: string })[];
      expect(stored.map((e) => e.objectRef?.name).sort(), prefix).toEqual(forged.map((_, i) => `missing-${i}`));
      expect(stored.map((e) => e.auditID).sort()).toEqual([...forged].sort());
    }
  });

  it('refuses webhook requests without the token', async () => {
    const { request } = await import('node:https');
    const { parse } = await import('yaml');
    const config = parse((await import('node:fs')).readFileSync(join(dir, 'hook', 'watchkeeper.yaml'), 'utf8')) as {
      logs: { auditWebhook: { port: number } };
    };
    const port = config.logs.auditWebhook.port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/audit', rejectUnauthorized: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{"kind":"EventList","items":[]}');
    });
    expect(status).toBe(401);
  });
});
