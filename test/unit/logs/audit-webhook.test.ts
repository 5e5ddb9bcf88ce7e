import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDocumentId } from '../../../collectors/logs/enrich/audit-event.ts';
import { IndexNames } from '../../../collectors/logs/pipeline/index-names.ts';
import { startAuditWebhook, type AuditWebhook } from '../../../collectors/logs/sources/audit-webhook.ts';
import { Pki, type CertFiles } from '../../env/index.ts';
import { eventually } from './support/agent-process.ts';
import { captureRig, logsConfig } from './support/capture.ts';

function post(port: number, body: string, options: { token?: string; cert?: CertFiles; ca: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        ca: readFileSync(options.ca),
        headers: {
          'content-type': 'application/json',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        ...(options.cert ? { cert: readFileSync(options.cert.certFile), key: readFileSync(options.cert.keyFile) } : {}),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs the body in pieces (chunked, no Content-Length) with the token; the status and the Status message. */
function postPieces(port: number, pieces: string[], ca: string): Promise<{ code: number; message: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        ca: readFileSync(ca),
        headers: { 'content-type': 'application/json', authorization: 'Bearer tok-123' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            code: res.statusCode ?? 0,
            message: (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message: string }).message,
          }),
        );
      },
    );
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

const event = (id: string, resource = 'pods'): Record<string, unknown> => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  auditID: id,
  stage: 'ResponseComplete',
  verb: 'delete',
  user: { username: 'bob' },
  objectRef: { resource, namespace: 'ns', name: 'x' },
  requestObject: { kind: 'Secret', data: { token: 'c2VjcmV0' } },
  requestReceivedTimestamp: '2025-02-03T04:05:06.000000Z',
  stageTimestamp: '2025-02-03T04:05:06.100000Z',
});

describe('audit webhook receiver', () => {
  let pki: Pki;
  let serving: CertFiles;
  let client: CertFiles;
  let stranger: CertFiles;
  let kubelet: CertFiles;
  let webhook: AuditWebhook;
  let rig: ReturnType<typeof captureRig>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wk-hook-'));
    mkdirSync(join(dir, 'pki'));
    mkdirSync(join(dir, 'other'));
    pki = await Pki.create(join(dir, 'pki'));
    const other = await Pki.create(join(dir, 'other'), 'someone-else');
    serving = await pki.issue({ name: 'serving', commonName: 'webhook', altNames: ['IP:127.0.0.1'], usage: 'server' });
    client = await pki.issue({ name: 'apiserver', commonName: 'kube-apiserver', usage: 'client' });
    stranger = await other.issue({ name: 'stranger', commonName: 'stranger', usage: 'client' });
    kubelet = await pki.issue({ name: 'kubelet', commonName: 'system:node:worker-1', usage: 'client' });
    rig = captureRig();
    webhook = await startAuditWebhook({
      config: logsConfig({
        auditWebhook: {
          enabled: true,
          host: '127.0.0.1',
          port: 0,
          certFile: serving.certFile,
          keyFile: serving.keyFile,
          clientCaFile: pki.caFile,
          clientNames: ['kube-apiserver'],
          token: 'tok-123',
          maxQueueBytes: 1024 * 1024,
          maxBodyBytes: 2 * 1024 * 1024,
          maxConcurrentRequests: 4,
        },
      }).auditWebhook,
      dir: join(dir, 'queue'),
      audit: { maxObjectBytes: 1 << 20, omitBodiesOf: ['secrets'] },
      pipeline: rig.pipeline,
      names: new IndexNames('wk', false),
      metrics: rig.metrics,
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await webhook.close();
    await rig.pipeline.stop(2000);
    await webhook.flush();
  });

  it('accepts a token or a client certificate of the configured CA, and nothing else', async () => {
    const list = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [event('a1')] });
    expect(await post(webhook.port, list, { ca: pki.caFile, token: 'tok-123' })).toBe(200);
    expect(
      await post(webhook.port, JSON.stringify({ kind: 'EventList', items: [event('a2')] }), {
        ca: pki.caFile,
        cert: client,
      }),
    ).toBe(200);
    expect(await post(webhook.port, list, { ca: pki.caFile })).toBe(401);
    expect(await post(webhook.port, list, { ca: pki.caFile, token: 'tok-124' })).toBe(401);
    expect(await post(webhook.port, list, { ca: pki.caFile, cert: stranger })).toBe(401);
    // Signed by the same CA, but not the configured name: a kubelet cannot write audit events.
    expect(await post(webhook.port, list, { ca: pki.caFile, cert: kubelet })).toBe(401);
    expect(
      await post(
        webhook.port,
        JSON.stringify({ kind: 'EventList', items: [{ ...event('big'), pad: 'p'.repeat(3 << 20) }] }),
        { ca: pki.caFile, token: 'tok-123' },
      ),
    ).toBe(413);
    expect(await post(webhook.port, 'not json', { ca: pki.caFile, token: 'tok-123' })).toBe(400);
  });

  it('queues durably, ships with ids from the content, and drops Secret bodies', async () => {
    expect(
      await post(webhook.port, JSON.stringify({ kind: 'EventList', items: [event('s1', 'secrets')] }), {
        ca: pki.caFile,
        token: 'tok-123',
      }),
    ).toBe(200);
    expect(readFileSync(join(dir, 'queue', 'seg-00000001.ndjson'), 'utf8')).toContain('"auditID":"s1"');
    await eventually(() => rig.sink.docs.some((d) => d.doc.auditID === 's1'), 10_000, 20);
    const secret = rig.sink.docs.find((d) => d.doc.auditID === 's1')!;
    expect(secret.index).toBe('wk-audit-2025.02.03');
    expect(secret.id).toBe(auditDocumentId(event('s1', 'secrets')));
    expect(JSON.stringify(secret.doc)).not.toContain('c2VjcmV0');
    expect(rig.sink.docs.map((d) => d.doc.auditID)).toEqual(expect.arrayContaining(['a1', 'a2']));
  });

  it('ships events with forged audit IDs (reused, quotes, tabs) each under its own id', async () => {
    const forged = ['a1', 'q"uote\\', 'tab\there\nnew', '"}},{"delete":{"_index":"wk-audit-2025.02.03","_id":"x'];
    const items = forged.map((id, i) => ({
      ...event(id),
      stageTimestamp: `2025-02-03T04:05:07.${i}00000Z`,
      user: { username: 'mallory' },
    }));
    expect(
      await post(webhook.port, JSON.stringify({ kind: 'EventList', items }), { ca: pki.caFile, token: 'tok-123' }),
    ).toBe(200);
    await eventually(
      () => rig.sink.docs.filter((d) => (d.doc.user as { username: string }).username === 'mallory').length === 4,
      10_000,
      20,
    );
    const mallory = rig.sink.docs.filter((d) => (d.doc.user as { username: string }).username === 'mallory');
    expect(mallory.map((d) => d.doc.auditID).sort()).toEqual([...forged].sort());
    expect(new Set(mallory.map((d) => d.id)).size).toBe(4);
    // The real a1 event is still there under its own id.
    expect(rig.sink.docs.filter((d) => d.doc.auditID === 'a1')).toHaveLength(2);
  });

  it('answers 503 when the queue is full, so the API server retries', async () => {
    const big = JSON.stringify({
      kind: 'EventList',
      items: Array.from({ length: 400 }, (_, i) => ({ ...event(`b${i}`), requestObject: { pad: 'z'.repeat(4000) } })),
    });
    expect(await post(webhook.port, big, { ca: pki.caFile, token: 'tok-123' })).toBe(503);
  });

  it('answers 400 naming the problem for a torn or malformed body, and queues none of its events', async () => {
    const list = JSON.stringify({ kind: 'EventList', items: [event('torn-1'), event('torn-2'), event('torn-3')] });
    const torn = list.slice(0, list.indexOf('"torn-3"'));
    const answers = [
      await postPieces(webhook.port, [torn.slice(0, 300), torn.slice(300)], pki.caFile),
      await postPieces(webhook.port, [list.replace('"verb":"delete"', '"verb":delete')], pki.caFile),
      await postPieces(webhook.port, [list.replace('"items":[', '"items":[7,')], pki.caFile),
      await postPieces(
        webhook.port,
        [JSON.stringify({ kind: 'EventList', items: { a: event('torn-1') } })],
        pki.caFile,
      ),
    ];
    expect(answers.map((a) => a.code)).toEqual([400, 400, 400, 400]);
    expect(answers[0]!.message).toMatch(/^the body ends inside the JSON document \(torn\)/);
    expect(answers[1]!.message).toMatch(/^malformed JSON: Unexpected "d" at .*position/);
    expect(answers[2]!.message).toBe('items[0] is not an audit event object');
    expect(answers[3]!.message).toBe('items is not an array');
    // A good list sent afterwards arrives; the queue is read in order, so the refused events would be there by then.
    const after = await postPieces(
      webhook.port,
      [JSON.stringify({ kind: 'EventList', items: [event('after-torn')] })],
      pki.caFile,
    );
    expect(after.code).toBe(200);
    await eventually(() => rig.sink.docs.some((d) => d.doc.auditID === 'after-torn'), 10_000, 20);
    expect(rig.sink.docs.filter((d) => String(d.doc.auditID).startsWith('torn-'))).toEqual([]);
    expect(readFileSync(join(dir, 'queue', 'seg-00000001.ndjson'), 'utf8')).not.toContain('torn-');
  });

  it('answers 413 for a body over the limit sent without a length, and queues none of it', async () => {
    const events = Array.from({ length: 300 }, (_, i) => ({
      ...event(`over-${i}`),
      requestObject: { pad: 'o'.repeat(8000) },
    }));
    const list = JSON.stringify({ kind: 'EventList', items: events });
    expect(list.length).toBeGreaterThan(2 * 1024 * 1024);
    const pieces: string[] = [];
    for (let o = 0; o < list.length; o += 64 * 1024) pieces.push(list.slice(o, o + 64 * 1024));
    const answer = await postPieces(webhook.port, pieces, pki.caFile);
    expect(answer).toEqual({ code: 413, message: `body larger than ${2 * 1024 * 1024} bytes` });
    const after = await postPieces(
      webhook.port,
      [JSON.stringify({ kind: 'EventList', items: [event('after-over')] })],
      pki.caFile,
    );
    expect(after.code).toBe(200);
    await eventually(() => rig.sink.docs.some((d) => d.doc.auditID === 'after-over'), 10_000, 20);
    expect(rig.sink.docs.filter((d) => String(d.doc.auditID).startsWith('over-'))).toEqual([]);
  });
});
