// Fills a test/env cluster with many kwok nodes and Running annotated pods, all real API objects, fast enough for
// 1,000 nodes and 10,000 pods on a shared 2-core machine. kwok manages the nodes (heartbeats, Ready), but the pods
// carry kwok's disregard annotation (test/env starts kwok with --disregard-status-with-annotation-selector): they are
// created already bound (spec.nodeName, so the scheduler skips them) and their status (Running, Ready, podIP) is
// written through the status subresource here, many requests at once over keep-alive connections. Waiting for
// kwok's pod stages instead took over 15 minutes for 10,000 pods on the loaded machine.
import { KubeClient, resolveKubeAccess } from '../../core/kube/index.ts';

/** How many requests are in flight at once: enough to keep the API server busy, few enough not to queue for long. */
const concurrency = 48;

/** The annotation that makes kwok leave a pod's status to us. */
export const customStatus = { 'kwok.x-k8s.io/status': 'custom' };

/** Runs make(0..count-1) with at most `concurrency` calls at once. */
async function inParallel(count: number, make: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await make(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** The InternalIP of bench node i. */
const nodeIp = (i: number) => `10.${100 + (i >> 8)}.${i & 255}.1`;

/** The pod IP of bench pod i (10.200.0.0/14 and up, unique for a million pods). */
const podIp = (i: number) => `10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

/** A cluster filler over one keep-alive admin client. */
export class ClusterPopulator {
  private readonly client: KubeClient;

  private constructor(client: KubeClient) {
    this.client = client;
  }

  /** Connects as the cluster's admin (its kubeconfig). */
  static async connect(kubeconfig: string): Promise<ClusterPopulator> {
    return new ClusterPopulator(new KubeClient(await resolveKubeAccess({ kubeconfig }), { timeoutMs: 120_000 }));
  }

  /** Creates bench-node-0..count-1, managed by kwok (annotation kwok.x-k8s.io/node=fake). */
  async nodes(count: number): Promise<void> {
    await inParallel(count, async (i) => {
      await this.create('/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: `bench-node-${i}`,
          labels: { type: 'kwok', zone: `z${i % 3}` },
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
        },
        status: { addresses: [{ type: 'InternalIP', address: nodeIp(i) }] },
      });
    });
  }

  /** Creates bench-pod-0..count-1, annotated for scraping on port 9102, spread over `nodes` nodes, and Running. */
  async pods(count: number, nodes: number): Promise<void> {
    await inParallel(count, (i) => this.runningPod(`bench-pod-${i}`, i, i % nodes, { app: `app-${i % 50}` }));
  }

  /** Creates one annotated pod bound to bench-node-<node> and sets its status to Running and Ready with an IP. */
  async runningPod(name: string, index: number, node: number, labels: Record<string, string> = {}): Promise<void> {
    await this.create('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        labels,
        annotations: { ...customStatus, 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' },
      },
      spec: {
        nodeName: `bench-node-${node}`,
        containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 9102 }] }],
      },
    });
    const now = new Date().toISOString();
    await this.client.patchJson(`/api/v1/namespaces/default/pods/${name}/status`, {
      status: {
        phase: 'Running',
        hostIP: nodeIp(node),
        podIP: podIp(index),
        podIPs: [{ ip: podIp(index) }],
        startTime: now,
        conditions: ['Initialized', 'ContainersReady', 'Ready', 'PodScheduled'].map((type) => ({
          type,
          status: 'True',
          lastTransitionTime: now,
        })),
        containerStatuses: [
          { name: 'c', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: now } } },
        ],
      },
    });
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.close();
  }

  private async create(path: string, body: unknown): Promise<void> {
    const res = await this.client.request('POST', path, { body, acceptErrorStatus: true });
    if (res.status >= 300 && res.status !== 409)
      throw new Error(`POST ${path}: ${res.status} ${res.body.toString().slice(0, 200)}`);
  }
}
