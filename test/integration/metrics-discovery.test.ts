// Kubernetes discovery against a real API server with kwok nodes: targets follow nodes, annotated pods and
// services being added and removed; one watch per collection is shared by every job and never relisted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, resolveKubeAccess } from '../../core/kube/index.ts';
import { kubernetesDiscoverySchema } from '../../collectors/metrics/discovery/config.ts';
import { createKubernetesSource } from '../../collectors/metrics/discovery/factory.ts';
import { RelabelingTargetSource } from '../../collectors/metrics/discovery/relabeling-source.ts';
import { SharedWatches } from '../../collectors/metrics/discovery/shared-watches.ts';
import { ShardAssignment } from '../../collectors/metrics/discovery/shard/assignment.ts';
import { NodeResourcesCollector } from '../../collectors/metrics/node/node-resources-collector.ts';
import { LeaseShardGroup } from '../../collectors/metrics/discovery/shard/lease-group.ts';
import { relabelConfigSchema } from '../../collectors/metrics/relabel/config.ts';
import { compileRelabelRules } from '../../collectors/metrics/relabel/relabel.ts';
import type { TargetLabels, TargetSource } from '../../collectors/metrics/types.ts';
import { startCluster, type Cluster } from '../env/index.ts';
import { eventually } from '../support/eventually.ts';

/** A started source and the last target set it reported. */
interface Running {
  source: TargetSource;
  targets: () => readonly TargetLabels[];
}

async function run(source: TargetSource): Promise<Running> {
  let last: readonly TargetLabels[] = [];
  await source.start((t) => {
    last = t;
  });
  return { source, targets: () => last };
}

describe('Kubernetes discovery (real API server, kwok nodes)', () => {
  let cluster: Cluster;
  let watches: SharedWatches;
  const running: Running[] = [];

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await cluster.request(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body}`);
    return JSON.parse(res.body) as unknown;
  }

  function source(job: string, sd: Record<string, unknown>, nodeName?: string): TargetSource {
    return createKubernetesSource(job, kubernetesDiscoverySchema.parse(sd), {
      watches,
      debounceMs: 50,
      ...(nodeName ? { nodeName } : {}),
    });
  }

  async function createPod(
    name: string,
    node: string,
    annotations: Record<string, string>,
    ports: number[],
    namespace = 'default',
  ) {
    await request('POST', `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels: { app: name }, annotations },
      spec: {
        nodeName: node,
        containers: [
          { name: 'main', image: 'example/app:1', ports: ports.map((p) => ({ containerPort: p, name: `p${p}` })) },
        ],
      },
    });
  }

  async function podIp(name: string): Promise<string> {
    return eventually(
      async () =>
        ((await request('GET', `/api/v1/namespaces/default/pods/${name}`)) as { status?: { podIP?: string } }).status
          ?.podIP ?? '',
      (ip) => ip !== '',
      `pod ${name} has an IP`,
    );
  }

  const addresses = (r: Running) =>
    r
      .targets()
      .map((t) => t.__address__)
      .sort();

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2 });
    const client = new KubeClient(await resolveKubeAccess({ kubeconfig: cluster.adminKubeconfig }));
    watches = new SharedWatches(client);
  });
  afterAll(async () => {
    await Promise.all(running.map((r) => r.source.stop()));
    await watches?.stop();
    await cluster?.stop();
  });

  it('node role: a kubelet target per node, following nodes added and removed', async () => {
    const kubelet = await run(source('kubelet', { role: 'node' }));
    const cadvisor = await run(source('cadvisor', { role: 'node', metricsPath: '/metrics/cadvisor' }));
    running.push(kubelet, cadvisor);
    expect(
      kubelet
        .targets()
        .map((t) => t.instance)
        .sort(),
    ).toEqual([...cluster.nodes].sort());
    const first = kubelet.targets()[0]!;
    expect(first.__scheme__).toBe('https');
    expect(first.__metrics_path__).toBe('/metrics');
    expect(first.__meta_kubernetes_node_label_type).toBe('kwok');
    expect(first.__meta_kubernetes_node_labelpresent_kubernetes_io_hostname).toBe('true');
    expect(first.__address__).toMatch(/^[\d.]+:\d+$/);
    expect(first.__address__).toBe(
      `${first.__meta_kubernetes_node_address_InternalIP}:${first.__address__!.split(':')[1]}`,
    );
    expect(cadvisor.targets().map((t) => t.__metrics_path__)).toEqual(cluster.nodes.map(() => '/metrics/cadvisor'));

    await request('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'late-node', labels: { type: 'kwok' }, annotations: { 'kwok.x-k8s.io/node': 'fake' } },
    });
    await eventually(
      () => kubelet.targets().map((t) => t.instance),
      (names) => names.includes('late-node'),
      'new node discovered',
    );
    await request('DELETE', '/api/v1/nodes/late-node');
    await eventually(
      () =>
        kubelet
          .targets()
          .map((t) => t.instance)
          .sort(),
      (names) => !names.includes('late-node'),
      'deleted node gone',
    );
    expect(watches.active().filter((k) => k.startsWith('nodes?'))).toHaveLength(1);
  });

  it('pod role: annotated pods at the annotated port, path and scheme; the agent sees only its node', async () => {
    const [nodeA, nodeB] = cluster.nodes as [string, string];
    const pods = await run(source('pods', { role: 'pod' }));
    const ownA = await run(source('pods-on-a', { role: 'pod', ownNode: true }, nodeA));
    const everyPort = await run(source('all-ports', { role: 'pod', annotated: false }));
    running.push(pods, ownA, everyPort);

    await createPod(
      'web-a',
      nodeA,
      {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9102',
        'prometheus.io/path': '/custom',
        'prometheus.io/scheme': 'https',
      },
      [8080, 9102],
    );
    await createPod('web-b', nodeB, { 'prometheus.io/scrape': 'true' }, [8080, 8081]);
    await createPod('quiet-a', nodeA, {}, [7000]);
    const [ipA, ipB, ipQuiet] = await Promise.all([podIp('web-a'), podIp('web-b'), podIp('quiet-a')]);

    await eventually(
      () => addresses(pods),
      (a) => a.length === 3,
      'annotated pods discovered',
    );
    expect(addresses(pods)).toEqual([`${ipA}:9102`, `${ipB}:8080`, `${ipB}:8081`].sort());
    const webA = pods.targets().find((t) => t.__address__ === `${ipA}:9102`)!;
    expect([webA.__metrics_path__, webA.__scheme__]).toEqual(['/custom', 'https']);
    expect(webA.__meta_kubernetes_pod_name).toBe('web-a');
    expect(webA.__meta_kubernetes_pod_node_name).toBe(nodeA);
    expect(webA.__meta_kubernetes_pod_container_port_name).toBe('p9102');
    expect(webA.__meta_kubernetes_pod_label_app).toBe('web-a');
    expect(webA.__meta_kubernetes_pod_annotation_prometheus_io_port).toBe('9102');
    await eventually(
      () => addresses(ownA),
      (a) => a.length === 1,
      'own-node pods discovered',
    );
    expect(addresses(ownA)).toEqual([`${ipA}:9102`]);
    await eventually(
      () => addresses(everyPort),
      (a) => a.includes(`${ipQuiet}:7000`),
      'every container port discovered',
    );

    await request('DELETE', '/api/v1/namespaces/default/pods/web-a?gracePeriodSeconds=0');
    await eventually(
      () => addresses(pods),
      (a) => !a.includes(`${ipA}:9102`),
      'deleted pod gone',
    );
    await eventually(
      () => addresses(ownA),
      (a) => a.length === 0,
      'own node has no annotated pod left',
    );

    const podWatches = watches.active().filter((k) => k.startsWith('pods?'));
    expect(podWatches).toEqual([
      'pods?labelSelector=&fieldSelector=',
      `pods?labelSelector=&fieldSelector=spec.nodeName=${nodeA}`,
    ]);
  });

  it('service role and API server: endpoints of annotated services and of the kubernetes service', async () => {
    const services = await run(source('services', { role: 'service' }));
    const apiserver = await run(source('apiserver', { role: 'apiserver' }));
    running.push(services, apiserver);
    // This API server advertises 127.0.0.1, and loopback addresses are never endpoints (the API refuses them),
    // so the slice a real API server keeps there (kubeadm: its node IP, port 6443) is written here as it would
    // write it, with a documentation address.
    const api = new URL('https://192.0.2.10:6443');
    expect(addresses(apiserver)).toEqual([]);
    await request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [api.hostname], conditions: { ready: true } }],
      ports: [{ name: 'https', port: Number(api.port), protocol: 'TCP' }],
    });
    await eventually(
      () => addresses(apiserver),
      (a) => a.length === 1,
      'API server endpoint discovered',
    );
    expect(addresses(apiserver)).toEqual([api.host]);
    expect(apiserver.targets()[0]!.__scheme__).toBe('https');

    await createPod('svc-backend', cluster.nodes[0]!, {}, [9000]);
    const ip = await podIp('svc-backend');
    await request('POST', '/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'metrics-svc',
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/stats' },
      },
      spec: { selector: { app: 'svc-backend' }, ports: [{ name: 'm', port: 80, targetPort: 9000 }] },
    });
    await eventually(
      () => addresses(services),
      (a) => a.length === 1,
      'annotated service endpoint discovered',
    );
    expect(addresses(services)).toEqual([`${ip}:9000`]);
    const t = services.targets()[0]!;
    expect([t.__metrics_path__, t.__meta_kubernetes_service_name, t.__meta_kubernetes_endpointslice_port_name]).toEqual(
      ['/stats', 'metrics-svc', 'm'],
    );
    await request('DELETE', '/api/v1/namespaces/default/services/metrics-svc');
    await eventually(
      () => addresses(services),
      (a) => a.length === 0,
      'deleted service gone',
    );
  });

  it('relabel_configs on discovered targets: kept and dropped, __meta_* gone; watches were listed once', async () => {
    const rules = compileRelabelRules(
      [
        { source_labels: ['__meta_kubernetes_node_name'], regex: cluster.nodes[0]!, action: 'keep' },
        { source_labels: ['__meta_kubernetes_node_label_type'], target_label: 'node_type' },
      ].map((r) => relabelConfigSchema.parse(r)),
    );
    const relabeled = new RelabelingTargetSource({
      source: source('kubelet-relabeled', { role: 'node' }),
      rules,
      defaults: {
        job: 'kubelet-relabeled',
        scheme: 'https',
        metricsPath: '/metrics',
        scrapeIntervalMs: 30_000,
        scrapeTimeoutMs: 10_000,
      },
    });
    const r = await run(relabeled);
    running.push(r);
    expect(r.targets()).toHaveLength(1);
    const kept = r.targets()[0]!;
    expect(kept).toMatchObject({
      instance: cluster.nodes[0],
      node_type: 'kwok',
      job: 'kubelet-relabeled',
      __scheme__: 'https',
    });
    expect(Object.keys(kept).filter((k) => k.startsWith('__meta_'))).toEqual([]);
    expect(relabeled.lastResults().filter((x) => !x.kept)).toHaveLength(cluster.nodes.length - 1);
    // Discovery watched: each collection was listed exactly once, whatever was added and removed since.
    expect(
      await Promise.all(
        (['nodes', 'pods', 'services', 'endpointslices'] as const).map(async (kind) => {
          const store = await watches.acquire(kind);
          const lists = store.lists;
          await watches.release(kind);
          return lists;
        }),
      ),
    ).toEqual([1, 1, 1, 1]);
  });

  it('sharding on real Leases: scale 2 → 3 → 2, no target owned twice or unowned at any moment', async () => {
    const client = new KubeClient(await resolveKubeAccess({ kubeconfig: cluster.adminKubeconfig }));
    const errors: unknown[] = [];
    const replica = (identity: string) => {
      const assignment = new ShardAssignment({ identity });
      const group = new LeaseShardGroup({
        client,
        namespace: 'default',
        group: 'wk-scrapers',
        identity,
        assignment,
        leaseDurationMs: 3_000,
        renewMs: 300,
        graceMs: 2_500,
        onError: (e) => errors.push(e),
      });
      return { identity, assignment, group };
    };
    const keys = Array.from({ length: 300 }, (_, i) => ({ __address__: `10.9.${i >> 8}.${i & 255}:9100` }));
    const a = replica('wk-a');
    const b = replica('wk-b');
    const c = replica('wk-c');
    const active = new Set([a, b]);
    await Promise.all([a.group.start(), b.group.start()]);
    await eventually(
      () => [a.group.members(), b.group.members()],
      (m) => m.every((x) => x.join() === 'wk-a,wk-b'),
      'two replicas share the targets',
    );

    // Every 50 ms, at one instant, count the owners of each target among the replicas running then.
    const violations: string[] = [];
    let rounds = 0;
    const sampler = setInterval(() => {
      const t = Date.now();
      rounds++;
      for (const key of keys) {
        const owners = [...active].filter((r) => r.assignment.ownsAt(key, t)).map((r) => r.identity);
        if (owners.length !== 1) violations.push(`${key.__address__} at ${t}: owned by [${owners.join(', ')}]`);
      }
    }, 50);
    try {
      await c.group.start();
      active.add(c);
      await eventually(
        () => [a, b, c].map((r) => r.group.members().join()),
        (m) => m.every((x) => x === 'wk-a,wk-b,wk-c'),
        'three replicas share the targets',
      );
      const shares = [a, b, c].map((r) => keys.filter((k) => r.assignment.owns(k)).length);
      expect(shares.every((n) => n > 50)).toBe(true);
      await c.group.stop();
      active.delete(c);
      expect(a.group.members()).toEqual(['wk-a', 'wk-b']);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      clearInterval(sampler);
    }
    expect(violations.slice(0, 5)).toEqual([]);
    expect(rounds).toBeGreaterThan(50);
    await Promise.all([a.group.stop(0), b.group.stop(0)]);
  });

  it("node capacity, allocatable and the sum of its pods' requests, following pods added and removed", async () => {
    const node = cluster.nodes[1]!;
    const collector = new NodeResourcesCollector(watches, node);
    await collector.start();
    const read = () => {
      const values: Record<string, number> = {};
      collector.collect({
        sample: (s) => {
          values[`${s.name}/${s.labels.resource}`] = s.value;
        },
      });
      return values;
    };
    try {
      const before = read();
      expect(before['kube_node_status_capacity/cpu']).toBe(32);
      expect(before['kube_node_status_allocatable/memory']).toBe(256 * 2 ** 30);
      const baseCpu = before['kube_node_pod_requests/cpu']!;
      const withRequests = (name: string, containers: unknown[], initContainers: unknown[] = []) =>
        request('POST', '/api/v1/namespaces/default/pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: { nodeName: node, containers, initContainers },
        });
      await withRequests('req-1', [
        { name: 'a', image: 'x', resources: { requests: { cpu: '250m', memory: '128Mi' } } },
        { name: 'b', image: 'x', resources: { requests: { cpu: '250m' } } },
      ]);
      await withRequests(
        'req-2',
        [{ name: 'a', image: 'x', resources: { requests: { cpu: '500m', memory: '64Mi' } } }],
        [{ name: 'init', image: 'x', resources: { requests: { cpu: '1' } } }],
      );
      await eventually(
        () => read()['kube_node_pod_requests/cpu'],
        (v) => v === baseCpu + 1.5,
        'requests of the new pods counted',
      );
      expect(read()['kube_node_pod_requests/memory']).toBe(before['kube_node_pod_requests/memory']! + 192 * 2 ** 20);
      await request('DELETE', '/api/v1/namespaces/default/pods/req-2?gracePeriodSeconds=0');
      await eventually(
        () => read()['kube_node_pod_requests/cpu'],
        (v) => v === baseCpu + 0.5,
        'deleted pod no longer counted',
      );
    } finally {
      await collector.stop();
    }
  });
});
