import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { eventually } from '../support/eventually.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, Pki, startCluster, type Cluster } from '../env/index.ts';
import { httpGet } from '../env/http.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string };
  stage: string;
}

describe('test env: real control plane with kwok nodes', () => {
  let cluster: Cluster;
  let webhook: Server;
  const webhookEvents: AuditEvent[] = [];
  const webhookAuth: string[] = [];

  beforeAll(async () => {
    const pki = await Pki.create(await mkdtemp(join(tmpdir(), 'audit-webhook-pki-')));
    const serving = await pki.issue({
      name: 'receiver',
      commonName: 'receiver',
      altNames: ['IP:127.0.0.1'],
      usage: 'server',
    });
    webhook = createServer({ cert: readFileSync(serving.certFile), key: readFileSync(serving.keyFile) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        webhookAuth.push(req.headers.authorization ?? '');
        webhookEvents.push(...(JSON.parse(Buffer.concat(chunks).toString()) as { items: AuditEvent[] }).items);
        res.writeHead(200).end();
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => webhook.listen(port, '127.0.0.1', resolve));
    const { port: bound } = webhook.address() as AddressInfo;
    cluster = await startCluster({
      nodes: 3,
      auditWebhook: { url: `https://127.0.0.1:${bound}/audit`, caFile: pki.caFile, token: 'webhook-token' },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    webhook?.close();
  });

  const getJson = async <T>(path: string): Promise<T> => {
    const { status, body } = await cluster.request('GET', path);
    if (status !== 200) throw new Error(`GET ${path}: ${status} ${body}`);
    return JSON.parse(body) as T;
  };

  it('runs a Deployment of 3 replicas as 3 Ready pods with IPs behind a Service with an EndpointSlice', async () => {
    const ns = 'env-test';
    expect((await cluster.request('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
    const labels = { app: 'web' };
    const created = await cluster.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] },
        },
      },
    });
    expect(created.status).toBe(201);
    expect(
      (
        await cluster.request('POST', `/api/v1/namespaces/${ns}/services`, {
          metadata: { name: 'web' },
          spec: { selector: labels, ports: [{ port: 80, targetPort: 80 }] },
        })
      ).status,
    ).toBe(201);

    type Pod = { status: { podIP?: string; conditions?: { type: string; status: string }[] } };
    const pods = await eventually(
      () => getJson<{ items: Pod[] }>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`),
      (list) =>
        list.items.length === 3 &&
        list.items.every(
          (p) => p.status.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        ),
      '3 Ready pods with IPs',
    );
    const podIps = pods.items.map((p) => p.status.podIP).sort();
    expect(new Set(podIps).size).toBe(3);

    type Slices = { items: { endpoints?: { addresses: string[]; conditions: { ready?: boolean } }[] }[] };
    const slices = await eventually(
      () =>
        getJson<Slices>(
          `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb`,
        ),
      (list) => list.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions.ready).length === 3,
      'EndpointSlice with 3 ready endpoints',
    );
    expect(
      slices.items
        .flatMap((s) => s.endpoints ?? [])
        .flatMap((e) => e.addresses)
        .sort(),
    ).toEqual(podIps);
  });

  it('writes a JSON audit log and posts audit batches to the webhook', async () => {
    expect(
      (
        await cluster.request('POST', '/api/v1/namespaces/default/configmaps', {
          metadata: { name: 'audited' },
          data: { a: 'b' },
        })
      ).status,
    ).toBe(201);
    const isOurs = (e: AuditEvent): boolean =>
      e.verb === 'create' && e.objectRef?.resource === 'configmaps' && e.objectRef.name === 'audited';
    const fromLog = await eventually(
      async () =>
        (await readFile(cluster.auditLogPath, 'utf8'))
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as AuditEvent),
      (events) => events.some(isOurs),
      'audit log line for the ConfigMap',
    );
    expect(fromLog.find(isOurs)?.user.username).toBe('watchkeeper-admin');
    await eventually(
      async () => webhookEvents,
      (events) => events.some(isOurs),
      'audit webhook batch with the ConfigMap',
    );
    expect(webhookAuth.every((h) => h === 'Bearer webhook-token')).toBe(true);
  });

  it('authenticates the restricted user by token and enforces its RBAC', async () => {
    const as = (path: string) =>
      httpGet(`${cluster.server}${path}`, { caFile: cluster.caFile, token: cluster.restrictedToken });
    expect((await as('/api/v1/namespaces/default/pods')).status).toBe(200);
    expect((await as('/api/v1/namespaces/kube-system/pods')).status).toBe(403);
    expect((await as('/api/v1/namespaces/default/secrets')).status).toBe(403);
    expect(
      (await httpGet(`${cluster.server}/api/v1/namespaces/default/pods`, { caFile: cluster.caFile, token: 'wrong' }))
        .status,
    ).toBe(401);
  });

  it('lets tests stop and start a component', async () => {
    await cluster.stopComponent('kube-scheduler');
    const pod = await cluster.request('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'unscheduled' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    expect(pod.status).toBe(201);
    await delay(2_000);
    const pending = await getJson<{ spec: { nodeName?: string } }>('/api/v1/namespaces/default/pods/unscheduled');
    expect(pending.spec.nodeName).toBeUndefined();
    await cluster.startComponent('kube-scheduler');
    await eventually(
      () => getJson<{ spec: { nodeName?: string } }>('/api/v1/namespaces/default/pods/unscheduled'),
      (p) => p.spec.nodeName !== undefined,
      'pod scheduled after restart',
    );
  });
});
