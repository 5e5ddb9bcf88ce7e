import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  freePort,
  Pki,
  startCluster,
  startElasticsearch,
  type Cluster,
  type ElasticsearchServer,
} from '../env/index.ts';
import { eventually } from '../support/eventually.ts';
import { AgentProcess, writeAgentConfig } from '../unit/logs/support/agent-process.ts';

// Real users act on a real API server: an admin with a client certificate, a token admin, the
// `restricted` user and, through impersonation, "alice". One agent ships the audit log file to a
// real Elasticsearch, another receives the same events over the audit webhook and writes the
// directory sink. `watchkeeper audit` (the real CLI) must then name the right users, order and
// changes from both sinks, and the agents must count the findings as metrics.

const ns = 'audit-investigations';
const webhookToken = 'audit-investigations-webhook-token';
const main = join(import.meta.dirname, '../../cli/main.ts');

interface Row {
  time: string;
  level: string;
  user: string;
  impersonatedUser?: string;
  actor: string;
  verb: string;
  subresource?: string;
  code: number;
  groups: string[];
  sourceIPs: string[];
  userAgent: string;
  auditID: string;
  change?: { basis: string; changes: { path: string; from?: unknown; to?: unknown }[]; note?: string };
}
interface ActionAnswer {
  rows: Row[];
  notes: string[];
  stats: { inRange: number };
}
interface Finding {
  rule: string;
  user: string;
  events: { auditID: string; time: string; user: string; impersonatedUser?: string; code: number }[];
}

describe('watchkeeper audit against a real API server, Elasticsearch and the directory sink', () => {
  let cluster: Cluster;
  let es: ElasticsearchServer;
  let dir: string;
  const agents: AgentProcess[] = [];
  const configs: Record<'elasticsearch' | 'directory', string> = { elasticsearch: '', directory: '' };
  let esMetricsPort = 0;
  let rsName = '';
  const times: Record<string, number> = {};

  type Who = { cert: true } | { token: string };
  let admin: Who;
  let tokenAdmin: Who;
  let restricted: Who;

  async function call(
    as: Who,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    const url = new URL(path, cluster.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: readFileSync(cluster.caFile),
          timeout: 15_000,
          ...('cert' in as
            ? {
                cert: readFileSync(cluster.adminClientCert.certFile),
                key: readFileSync(cluster.adminClientCert.keyFile),
              }
            : {}),
          headers: {
            'user-agent': 'audit-investigations-test/1.0',
            ...('token' in as ? { authorization: `Bearer ${as.token}` } : {}),
            ...(payload
              ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }
              : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
  async function expectStatus(
    p: Promise<{ status: number; body: string }>,
    status: number,
    what: string,
  ): Promise<void> {
    const { status: got, body } = await p;
    expect(got, `${what}: ${body.slice(0, 300)}`).toBe(status);
  }
  async function cli(
    sink: keyof typeof configs,
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [main, 'audit', ...args, '-c', configs[sink]],
        { maxBuffer: 64 << 20 },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }
  async function ask<T>(sink: keyof typeof configs, args: string[]): Promise<T> {
    const result = await cli(sink, [...args, '-o', 'json']);
    if (result.code !== 0) throw new Error(`audit ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wk-audit-investigations-'));
    mkdirSync(join(dir, 'pki'));
    const pki = await Pki.create(join(dir, 'pki'));
    const serving = await pki.issue({
      name: 'webhook',
      commonName: 'audit-webhook',
      altNames: ['IP:127.0.0.1'],
      usage: 'server',
    });
    const webhookPort = await freePort();
    [es, cluster] = await Promise.all([
      startElasticsearch(),
      startCluster({
        nodes: 1,
        auditWebhook: { url: `https://127.0.0.1:${webhookPort}/audit`, caFile: pki.caFile, token: webhookToken },
      }),
    ]);
    admin = { cert: true };
    tokenAdmin = { token: cluster.adminToken };
    restricted = { token: cluster.restrictedToken };

    const esDir = join(dir, 'es');
    mkdirSync(esDir);
    configs.elasticsearch = writeAgentConfig(esDir, {
      containers: { enabled: false },
      audit: { paths: [join(dirname(cluster.auditLogPath), 'audit*.log')], startAt: 'beginning' },
      sink: 'elasticsearch',
      elasticsearch: { url: es.url, indexPrefix: 'investigate', initialBackoffMs: 50 },
    });
    esMetricsPort = await freePort();
    const esConfig = parse(readFileSync(configs.elasticsearch, 'utf8')) as { server: { port: number } };
    esConfig.server.port = esMetricsPort;
    writeFileSync(configs.elasticsearch, stringify(esConfig));
    const hookDir = join(dir, 'hook');
    mkdirSync(hookDir);
    configs.directory = writeAgentConfig(hookDir, {
      containers: { enabled: false },
      auditWebhook: {
        enabled: true,
        host: '127.0.0.1',
        port: webhookPort,
        certFile: serving.certFile,
        keyFile: serving.keyFile,
        token: webhookToken,
      },
      sink: 'directory',
      directory: { path: join(hookDir, 'out') },
    });
    agents.push(
      new AgentProcess(configs.elasticsearch, join(esDir, 'agent.log')),
      new AgentProcess(configs.directory, join(hookDir, 'agent.log')),
    );
    await Promise.all(agents.map((a) => a.start()));

    // The story: created by the admin, scaled by the token admin, image changed by the admin, deleted by the admin.
    await expectStatus(call(admin, 'POST', '/api/v1/namespaces', { metadata: { name: ns } }), 201, 'create namespace');
    await expectStatus(
      call(admin, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] },
          },
        },
      }),
      201,
      'create deployment',
    );
    rsName = await eventually(
      async () => {
        const list = JSON.parse((await call(admin, 'GET', `/apis/apps/v1/namespaces/${ns}/replicasets`)).body) as {
          items: { metadata: { name: string } }[];
        };
        return list.items[0]?.metadata.name ?? '';
      },
      (name) => name !== '',
      'the deployment controller creates a ReplicaSet',
    );
    times.scaled = Date.now();
    await expectStatus(
      call(tokenAdmin, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`, { spec: { replicas: 3 } }),
      200,
      'scale',
    );
    await eventually(
      async () =>
        (
          JSON.parse((await call(admin, 'GET', `/apis/apps/v1/namespaces/${ns}/replicasets/${rsName}`)).body) as {
            spec: { replicas: number };
          }
        ).spec.replicas,
      (n) => n === 3,
      'the controller scales the ReplicaSet to 3',
    );
    await expectStatus(
      call(admin, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/web`, {
        spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.example/web:2' }] } } },
      }),
      200,
      'change image',
    );

    // Secrets: created by the admin, listed and read one by one by the token admin.
    for (let i = 0; i < 10; i++) {
      await expectStatus(
        call(admin, 'POST', `/api/v1/namespaces/${ns}/secrets`, {
          metadata: { name: `s${i}` },
          stringData: { password: `p${i}` },
        }),
        201,
        'create secret',
      );
    }
    await expectStatus(call(tokenAdmin, 'GET', `/api/v1/namespaces/${ns}/secrets`), 200, 'list secrets');
    for (let i = 0; i < 10; i++)
      await expectStatus(call(tokenAdmin, 'GET', `/api/v1/namespaces/${ns}/secrets/s${i}`), 200, 'get secret');

    // A binding to cluster-admin; an impersonated create; a configmap patched (audited at Metadata only).
    await expectStatus(
      call(tokenAdmin, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        metadata: { name: 'mallory-admin' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }],
      }),
      201,
      'cluster-admin binding',
    );
    await expectStatus(
      call(
        tokenAdmin,
        'POST',
        `/api/v1/namespaces/${ns}/configmaps`,
        { metadata: { name: 'settings' }, data: { mode: 'a' } },
        { 'Impersonate-User': 'alice', 'Impersonate-Group': 'system:masters' },
      ),
      201,
      'impersonated create',
    );
    await expectStatus(
      call(admin, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/settings`, { data: { mode: 'b' } }),
      200,
      'patch configmap',
    );

    // The restricted user: an exec attempt and a burst of denied secret lists.
    await expectStatus(
      call(admin, 'POST', '/api/v1/namespaces/default/pods', {
        metadata: { name: 'target' },
        spec: { containers: [{ name: 'c', image: 'registry.example/c:1' }], nodeSelector: { type: 'kwok' } },
      }),
      201,
      'create pod',
    );
    await expectStatus(
      call(restricted, 'POST', '/api/v1/namespaces/default/pods/target/exec?command=sh&stdin=true&stdout=true'),
      403,
      'exec attempt',
    );
    for (let i = 0; i < 20; i++)
      await expectStatus(call(restricted, 'GET', '/api/v1/namespaces/default/secrets'), 403, 'denied list');

    times.deleted = Date.now();
    await expectStatus(
      call(admin, 'DELETE', `/apis/apps/v1/namespaces/${ns}/deployments/web?propagationPolicy=Background`),
      200,
      'delete deployment',
    );
  }, 240_000);

  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await cluster?.stop();
    await es?.stop();
  });

  for (const sink of ['elasticsearch', 'directory'] as const) {
    describe(`from the ${sink} sink`, () => {
      it('who deleted the deployment, who scaled it and what the image patch changed', async () => {
        const deleted = await eventually(
          () => ask<ActionAnswer>(sink, ['who', 'delete', 'deployments/web', '-n', ns]),
          (a) => a.rows.length > 0,
          `${sink}: the delete is shipped`,
          90_000,
        );
        expect(deleted.rows).toHaveLength(1);
        const del = deleted.rows[0]!;
        expect([del.user, del.actor, del.code, del.userAgent]).toEqual([
          'watchkeeper-admin',
          'person',
          200,
          'audit-investigations-test/1.0',
        ]);
        expect(del.groups).toContain('system:masters');
        expect(del.sourceIPs).toContain('127.0.0.1');
        expect(Date.parse(del.time)).toBeGreaterThanOrEqual(times.deleted! - 1000);

        const scaled = await ask<ActionAnswer>(sink, ['who', 'scale', 'deploy/web', '-n', ns]);
        expect(scaled.rows.map((r) => [r.user, r.subresource, r.change?.changes])).toEqual([
          ['token-admin', 'scale', [{ path: 'spec.replicas', op: 'set', from: 1, to: 3 }]],
        ]);

        const patched = await ask<ActionAnswer>(sink, ['who', 'patch', 'deployments.apps/web', '-n', ns]);
        const imagePatch = patched.rows.find((r) => r.user === 'watchkeeper-admin' && r.subresource === undefined)!;
        expect(imagePatch.change?.basis).toBe('previous-state');
        expect(imagePatch.change?.changes).toContainEqual({
          path: 'spec.template.spec.containers[0].image',
          op: 'set',
          from: 'registry.example/web:1',
          to: 'registry.example/web:2',
        });
      });

      it("tells the deployment's and the ReplicaSet's story in time order, controllers apart from people", async () => {
        const story = await ask<ActionAnswer>(sink, ['history', 'deployments/web', '-n', ns]);
        const times = story.rows.map((r) => Date.parse(r.time));
        expect(times).toEqual([...times].sort((a, b) => a - b));
        const people = story.rows
          .filter((r) => r.actor === 'person')
          .map((r) => `${r.verb}${r.subresource ? `/${r.subresource}` : ''} ${r.user}`);
        expect(people).toEqual([
          'create watchkeeper-admin',
          'patch/scale token-admin',
          'patch watchkeeper-admin',
          'delete watchkeeper-admin',
        ]);
        expect(
          story.rows.some(
            (r) =>
              r.actor === 'controller' && r.user === 'system:kube-controller-manager' && r.subresource === 'status',
          ),
        ).toBe(true);

        const rs = await eventually(
          () => ask<ActionAnswer>(sink, ['history', `replicasets/${rsName}`, '-n', ns]),
          (a) => a.rows.some((r) => r.verb === 'delete'),
          `${sink}: the ReplicaSet's deletion by the garbage collector is shipped`,
          90_000,
        );
        expect(rs.rows[0]).toMatchObject({
          verb: 'create',
          user: 'system:kube-controller-manager',
          actor: 'controller',
        });
        const scaledBy = rs.rows.find((r) => r.change?.changes.some((c) => c.path === 'spec.replicas' && c.to === 3));
        expect(scaledBy).toMatchObject({ user: 'system:kube-controller-manager', actor: 'controller' });
        expect(rs.rows.filter((r) => r.verb === 'delete' && r.code === 200)).toEqual([
          expect.objectContaining({ user: 'system:kube-controller-manager', actor: 'controller' }),
        ]);
      });

      it('names the audit level that would have recorded a change made at Metadata level', async () => {
        const patched = await ask<ActionAnswer>(sink, ['who', 'patch', 'configmaps/settings', '-n', ns]);
        expect(patched.rows.map((r) => [r.user, r.level])).toEqual([['watchkeeper-admin', 'Metadata']]);
        expect(patched.rows[0]!.change?.note).toBe('recorded at Metadata level: the request body needs Request');
        expect(patched.notes.join(' ')).toContain('RequestResponse');
      });

      it('shows what a user did, also when impersonated', async () => {
        const restrictedAnswer = await ask<{
          groups: string[];
          activity: { verb: string; resource: string; count: number; failed: number }[];
        }>(sink, ['user', 'restricted']);
        expect(restrictedAnswer.groups).toContain('system:authenticated');
        expect(restrictedAnswer.activity).toContainEqual(
          expect.objectContaining({ verb: 'list', resource: 'secrets', count: 20, failed: 20 }),
        );
        expect(restrictedAnswer.activity).toContainEqual(
          expect.objectContaining({ verb: 'create', resource: 'pods/exec', count: 1, failed: 1 }),
        );
        const alice = await ask<{
          activity: { verb: string; resource: string; impersonated: number; examples: string[] }[];
        }>(sink, ['user', 'alice']);
        expect(alice.activity).toEqual([
          expect.objectContaining({
            verb: 'create',
            resource: 'configmaps',
            impersonated: 1,
            examples: [`${ns}/settings`],
          }),
        ]);
      });

      it('lists the suspicious activity with the events behind each finding', async () => {
        const answer = await ask<{ findings: Finding[] }>(sink, ['suspicious']);
        const summary = answer.findings.map((f) => `${f.rule} ${f.user}`);
        for (const expected of [
          'secrets-listed token-admin',
          'secrets-read-in-bulk token-admin',
          'pod-exec restricted',
          'cluster-admin-binding token-admin',
          'impersonation token-admin',
          'rbac-change token-admin',
          'denied-burst restricted',
        ]) {
          expect(summary, expected).toContain(expected);
        }
        expect(summary.filter((s) => s.startsWith('denied-burst'))).toEqual(['denied-burst restricted']);
        const exec = answer.findings.find((f) => f.rule === 'pod-exec')!;
        expect(exec.events).toEqual([expect.objectContaining({ user: 'restricted', code: 403 })]);
        expect(exec.events[0]!.auditID).toMatch(/^[0-9a-f-]{36}$/);
        const impersonation = answer.findings.find((f) => f.rule === 'impersonation')!;
        expect(impersonation.events[0]).toMatchObject({ user: 'token-admin', impersonatedUser: 'alice' });
        const table = await cli(sink, ['suspicious']);
        expect(table.stdout).toMatch(/^critical\s+cluster-admin-binding\s+token-admin\s/m);
        expect(table.stdout).toContain(impersonation.events[0]!.auditID);
      });
    });
  }

  it('the agent counts the same findings by rule as it ships', async () => {
    const metric = (text: string, rule: string): number =>
      Number(new RegExp(`^watchkeeper_audit_findings_total\\{rule="${rule}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? -1);
    const text = await eventually(
      async () => (await fetch(`http://127.0.0.1:${esMetricsPort}/metrics`)).text(),
      (t) => metric(t, 'denied-burst') >= 1,
      'the agent counted the burst of denials',
    );
    expect(metric(text, 'cluster-admin-binding')).toBe(1);
    expect(metric(text, 'pod-exec')).toBe(1);
    expect(metric(text, 'secrets-read-in-bulk')).toBe(1);
    expect(metric(text, 'privileged-pod')).toBe(0);
  });
});
