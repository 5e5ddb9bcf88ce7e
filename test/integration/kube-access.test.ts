import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { until } from '../support/eventually.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../env/index.ts';
import {
  explicitKubeAccess,
  Informer,
  KubeApiError,
  KubeClient,
  LeaderElector,
  listAll,
  listPages,
  resolveKubeAccess,
  resourcePath,
  resources,
  startWatch,
  watchEvents,
  type KubeObject,
  type WatchEvent,
} from '../../core/kube/index.ts';

/** Polls until `check` returns a value (not undefined) or the time is up. */
describe('core/kube against a real kube-apiserver', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  const ns = 'kube-access-test';
  const cmPath = resourcePath(resources.configMaps, ns);

  const compactAndRestart = async (): Promise<void> => {
    const status = JSON.parse(await cluster.etcd.etcdctl(['endpoint', 'status', '-w', 'json'])) as {
      Status: { header: { revision: number } };
    }[];
    await cluster.etcd.etcdctl(['compact', String(status[0]!.Status.header.revision)]);
    await cluster.stopComponent('kube-apiserver');
    await cluster.startComponent('kube-apiserver');
  };

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 1 });
    admin = new KubeClient(
      explicitKubeAccess({ server: cluster.server, caFile: cluster.caFile, token: cluster.adminToken }),
    );
    await admin.postJson(resourcePath(resources.namespaces), { metadata: { name: ns } });
  });
  afterAll(async () => {
    admin?.close();
    await cluster?.stop();
  });

  it('authenticates with a bearer token, a token kubeconfig and a client-certificate kubeconfig', async () => {
    const viaCert = new KubeClient(await resolveKubeAccess({ kubeconfig: cluster.adminKubeconfig }));
    const viaTokenFile = new KubeClient(await resolveKubeAccess({ kubeconfig: cluster.adminTokenKubeconfig }));
    try {
      for (const client of [admin, viaCert, viaTokenFile]) {
        const review = await client.postJson<{ status: { userInfo: { username: string } } }>(
          '/apis/authentication.k8s.io/v1/selfsubjectreviews',
          {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'SelfSubjectReview',
          },
        );
        expect(['token-admin', 'watchkeeper-admin']).toContain(review.status.userInfo.username);
      }
      const certUser = await viaCert.postJson<{ status: { userInfo: { username: string } } }>(
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      );
      expect(certUser.status.userInfo.username).toBe('watchkeeper-admin');
    } finally {
      viaCert.close();
      viaTokenFile.close();
    }
  });

  it("returns the server's bytes and typed errors naming verb, path and reason", async () => {
    const created = await admin.request('POST', cmPath, { body: { metadata: { name: 'raw' }, data: { a: '1' } } });
    expect(created.status).toBe(201);
    expect(Buffer.isBuffer(created.body)).toBe(true);
    const got = await admin.request('GET', `${cmPath}/raw`);
    expect((JSON.parse(got.body.toString()) as KubeObject).metadata.name).toBe('raw');
    const error = await admin.getJson(`${cmPath}/missing`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(404);
    expect((error as KubeApiError).message).toMatch(
      /^GET \/api\/v1\/namespaces\/kube-access-test\/configmaps\/missing: 404 NotFound: /,
    );

    const restricted = new KubeClient(await resolveKubeAccess({ kubeconfig: cluster.restrictedKubeconfig }));
    try {
      const forbidden = await restricted.getJson(cmPath).catch((e: unknown) => e);
      expect((forbidden as KubeApiError).status).toBe(403);
      expect((forbidden as KubeApiError).reason).toBe('Forbidden');
      expect((forbidden as KubeApiError).message).toContain('User "restricted" cannot list resource "configmaps"');
    } finally {
      restricted.close();
    }
  });

  it('lists page by page with limit/continue and restarts when the continue token expired', async () => {
    const pagedNs = 'kube-access-paged';
    await admin.postJson(resourcePath(resources.namespaces), { metadata: { name: pagedNs } });
    const path = resourcePath(resources.configMaps, pagedNs);
    for (let i = 0; i < 25; i++)
      await admin.postJson(path, { metadata: { name: `cm-${String(i).padStart(2, '0')}`, labels: { set: 'paged' } } });
    const pages: number[] = [];
    const names: string[] = [];
    for await (const page of listPages(admin, path, { limit: 10, labelSelector: 'set=paged' })) {
      pages.push(page.items.length);
      names.push(...page.items.map((o) => o.metadata.name!));
    }
    expect(pages).toEqual([10, 10, 5]);
    expect(new Set(names).size).toBe(25);

    // An expired continue token: the API server serves pages from watch-cache snapshots, so
    // compacting etcd alone does not expire a live token; after an API server restart the token's
    // revision is older than the fresh cache and compacted in etcd, and the server answers 410.
    const iterator = listPages(admin, path, { limit: 10, labelSelector: 'set=paged' });
    const first = await iterator.next();
    expect(first.done ? undefined : first.value.restarted).toBe(false);
    // A write moves the revision past the token's, so the compaction removes the token's revision.
    await admin.postJson(path, { metadata: { name: 'cm-late', labels: { set: 'paged' } } });
    await compactAndRestart();
    if (first.done) throw new Error('no first page');
    const token = (JSON.parse(first.value.raw.toString()) as { metadata: { continue: string } }).metadata.continue;
    const direct = await admin.request('GET', path, {
      query: { limit: 10, labelSelector: 'set=paged', continue: token },
      acceptErrorStatus: true,
    });
    expect(direct.status).toBe(410);
    const rest: { restarted: boolean; n: number }[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      rest.push({ restarted: next.value.restarted, n: next.value.items.length });
    expect(rest).toEqual([
      { restarted: true, n: 10 },
      { restarted: false, n: 10 },
      { restarted: false, n: 6 },
    ]);
    const all = await listAll(admin, path, { limit: 7, labelSelector: 'set=paged' });
    expect(all.items.length).toBe(26);
    // mapItem sees each object once, as its page arrives, and the list holds what it returned.
    let mapped = 0;
    const trimmed = await listAll(admin, path, {
      limit: 7,
      labelSelector: 'set=paged',
      mapItem: (o) => {
        mapped++;
        return { metadata: { name: o.metadata.name! } };
      },
    });
    expect(mapped).toBe(26);
    expect(trimmed.items).toEqual(all.items.map((o) => ({ metadata: { name: o.metadata.name } })));
  });

  it('watches ADDED, MODIFIED and DELETED, resumes from a resourceVersion and relists after 410', async () => {
    const watchNs = 'kube-access-watch';
    await admin.postJson(resourcePath(resources.namespaces), { metadata: { name: watchNs } });
    const path = resourcePath(resources.configMaps, watchNs);
    const seen: string[] = [];
    const lists: string[][] = [];
    const handle = startWatch(
      admin,
      path,
      {
        onList: (items) => {
          lists.push(items.map((o) => o.metadata.name!));
        },
        onEvent: (e) => {
          seen.push(`${e.type} ${e.object.metadata.name}`);
        },
      },
      { timeoutSeconds: 60, labelSelector: 'test=watch' },
    );
    await handle.ready;
    await admin.postJson(path, { metadata: { name: 'w1', labels: { test: 'watch' } }, data: { v: '1' } });
    await admin.patchJson(`${path}/w1`, { data: { v: '2' } });
    await admin.deleteJson(`${path}/w1`);
    await until(() => seen.length >= 3, '3 watch events');
    expect(seen).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    const resumeFrom = handle.resourceVersion!;
    await handle.stop();

    // Changes made while nobody watched are delivered when resuming from the last resourceVersion.
    await admin.postJson(path, { metadata: { name: 'w2', labels: { test: 'watch' } } });
    const resumed: string[] = [];
    const again = startWatch(
      admin,
      path,
      {
        onEvent: (e) => {
          resumed.push(`${e.type} ${e.object.metadata.name}`);
        },
      },
      { resourceVersion: resumeFrom, labelSelector: 'test=watch' },
    );
    await again.ready;
    await until(() => resumed.length >= 1, 'an event after resuming');
    await again.stop();
    expect(resumed).toEqual(['ADDED w2']);
    expect(lists).toEqual([[]]);

    // A resourceVersion older than what the server keeps (after compaction and an API server
    // restart the watch cache starts at the current revision): 410, and the loop relists.
    await compactAndRestart();
    const errors: string[] = [];
    const relisted: string[][] = [];
    const old = startWatch(
      admin,
      path,
      {
        onList: (items) => {
          relisted.push(items.map((o) => o.metadata.name!));
        },
        onEvent: () => undefined,
        onError: (error, action) => {
          errors.push(`${action}: ${error instanceof Error ? error.message : String(error)}`);
        },
      },
      { resourceVersion: '1', labelSelector: 'test=watch' },
    );
    await until(() => relisted.length > 0, 'a relist after 410');
    await old.stop();
    expect(relisted[0]).toEqual(['w2']);
    expect(errors[0]).toMatch(/^relist: .*410/);
  });

  it('a single watch connection yields events and ends quietly on abort', async () => {
    const path = resourcePath(resources.configMaps, ns);
    const controller = new AbortController();
    const { resourceVersion } = await listAll(admin, path);
    const events: WatchEvent[] = [];
    const reading = (async () => {
      for await (const event of watchEvents(admin, path, { resourceVersion, signal: controller.signal })) {
        events.push(event);
        if (event.type === 'ADDED') controller.abort();
      }
    })();
    await admin.postJson(path, { metadata: { name: 'single' } });
    await reading;
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED single']);
  });

  it('keeps an informer cache in step with the server', async () => {
    const path = resourcePath(resources.configMaps, ns);
    await admin.postJson(path, { metadata: { name: 'before-start', labels: { test: 'informer' } } });
    const informer = new Informer(admin, path, { labelSelector: 'test=informer' });
    const changes: string[] = [];
    informer.onChange((c) => changes.push(`${c.type} ${c.object.metadata.name}`));
    await informer.start();
    expect(informer.hasSynced()).toBe(true);
    expect(informer.get(ns, 'before-start')?.metadata.name).toBe('before-start');
    await admin.postJson(path, { metadata: { name: 'after-start', labels: { test: 'informer' } } });
    await admin.deleteJson(`${path}/before-start`);
    await until(
      () => informer.get(ns, 'after-start') !== undefined && informer.get(ns, 'before-start') === undefined,
      'the informer sees the change after start',
    );
    await informer.stop();
    expect(changes).toContain('added after-start');
    expect(changes).toContain('deleted before-start');
    expect(
      informer
        .list(ns)
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['after-start']);
  });

  it('an informer carries on across an API server restart and sees what changed meanwhile', async () => {
    const path = resourcePath(resources.configMaps, ns);
    const errors: string[] = [];
    const informer = new Informer(admin, path, {
      labelSelector: 'test=restart',
      onError: (_e, action) => errors.push(action),
    });
    await admin.postJson(path, { metadata: { name: 'r1', labels: { test: 'restart' } } });
    await informer.start();
    await cluster.stopComponent('kube-apiserver');
    await cluster.startComponent('kube-apiserver');
    await admin.deleteJson(`${path}/r1`);
    await admin.postJson(path, { metadata: { name: 'r2', labels: { test: 'restart' } } });
    try {
      await until(
        () => informer.get(ns, 'r2') !== undefined && informer.get(ns, 'r1') === undefined,
        'the informer catches up after the API server restart',
        60_000,
      );
    } finally {
      await informer.stop();
    }
    expect(informer.list().map((o) => o.metadata.name)).toEqual(['r2']);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('elects one leader on a Lease and fails over when it stops', async () => {
    const events: string[] = [];
    const elector = (identity: string): LeaderElector =>
      new LeaderElector({
        client: admin,
        namespace: ns,
        name: 'election',
        identity,
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 300,
        onStartedLeading: () => events.push(`start ${identity}`),
        onStoppedLeading: () => events.push(`stop ${identity}`),
      });
    const a = elector('a');
    const b = elector('b');
    a.start();
    await until(() => a.isLeader(), 'a leads');
    b.start();
    // b must see a's lease and stay a follower for several retry periods.
    await until(() => b.leader === 'a', 'b sees a as leader');
    await new Promise((r) => setTimeout(r, 1500));
    expect(b.isLeader()).toBe(false);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    await a.stop();
    await until(() => b.isLeader(), 'b takes over');
    const lease = await admin.getJson<{ spec: { holderIdentity: string; leaseTransitions: number } }>(
      resourcePath(resources.leases, ns, 'election'),
    );
    await b.stop();
    expect(lease.spec.holderIdentity).toBe('b');
    expect(lease.spec.leaseTransitions).toBe(1);
    expect(events).toEqual(['start a', 'stop a', 'start b', 'stop b']);
  });

  it('follows a rotated client certificate, from kubeconfig files and from an exec plugin', async () => {
    const [first, second] = await Promise.all([
      cluster.pki.issue({ name: 'rotate-first', commonName: 'rotate-first', usage: 'client' }),
      cluster.pki.issue({ name: 'rotate-second', commonName: 'rotate-second', usage: 'client' }),
    ]);
    const work = await mkdtemp(join(tmpdir(), 'wk-rotate-'));
    const live = { certFile: join(work, 'client.crt'), keyFile: join(work, 'client.key') };
    const install = async (pair: { certFile: string; keyFile: string }): Promise<void> => {
      await copyFile(pair.certFile, live.certFile);
      await copyFile(pair.keyFile, live.keyFile);
    };
    const plugin = join(work, 'plugin.mjs');
    // The credential it prints has already expired, so the client runs it again before each request.
    await writeFile(
      plugin,
      `#!${process.execPath}
import { readFileSync } from 'node:fs';
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: {
  clientCertificateData: readFileSync(${JSON.stringify(live.certFile)}, 'utf8'), clientKeyData: readFileSync(${JSON.stringify(live.keyFile)}, 'utf8'),
  expirationTimestamp: new Date(0).toISOString() } }));
`,
      { mode: 0o755 },
    );
    const kubeconfig = async (name: string, user: Record<string, unknown>): Promise<string> => {
      const file = join(work, name);
      await writeFile(
        file,
        stringify({
          clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority': cluster.caFile } }],
          users: [{ name: 'u', user }],
          contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
          'current-context': 'x',
        }),
      );
      return file;
    };
    const files = await kubeconfig('files.yaml', { 'client-certificate': live.certFile, 'client-key': live.keyFile });
    const exec = await kubeconfig('exec.yaml', {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin },
    });
    for (const file of [files, exec]) {
      await install(first);
      const client = new KubeClient(await resolveKubeAccess({ kubeconfig: file }));
      const whoami = async (): Promise<string> =>
        (
          await client.postJson<{ status: { userInfo: { username: string } } }>(
            '/apis/authentication.k8s.io/v1/selfsubjectreviews',
            { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
          )
        ).status.userInfo.username;
      try {
        expect(await whoami()).toBe('rotate-first');
        await install(second);
        expect(await whoami()).toBe('rotate-second');
      } finally {
        client.close();
      }
    }
    await rm(work, { recursive: true, force: true });
  });
});
