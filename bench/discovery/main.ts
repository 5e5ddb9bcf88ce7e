// Cluster-level discovery with many kwok nodes and annotated pods: watchkeeper's discovery (three jobs on shared
// watches, with relabeling) beside vmagent's kubernetes_sd_configs doing the same jobs, in the same run against the
// same API server. Measures memory and CPU after the initial sync and the time until a new annotated pod is a
// target. Debian's Prometheus is built without Kubernetes discovery, so vmagent is the peer.
// BENCH_NODES (default 1000) and BENCH_PODS (default 10000) set the size.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort, startCluster, toolBinary } from '../../test/env/index.ts';
import { httpGet } from '../../test/env/http.ts';
import { snapshot } from '../metrics/contenders.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';

const nodes = Number(process.env.BENCH_NODES ?? 1000);
const pods = Number(process.env.BENCH_PODS ?? 10_000);
const repo = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'wk-bench-discovery-'));

const cluster = await startCluster({ nodes: 1 });
try {
  const post = async (p: string, body: unknown) => {
    const res = await cluster.request('POST', p, body);
    if (res.status >= 300 && res.status !== 409) throw new Error(`POST ${p}: ${res.status} ${res.body.slice(0, 200)}`);
  };
  const inBatches = async (count: number, make: (i: number) => Promise<void>) => {
    for (let i = 0; i < count; i += 32)
      await Promise.all(Array.from({ length: Math.min(32, count - i) }, (_, k) => make(i + k)));
  };
  const started = Date.now();
  await inBatches(nodes, (i) =>
    post('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: `bench-node-${i}`,
        labels: { type: 'kwok', zone: `z${i % 3}` },
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
      },
      status: { addresses: [{ type: 'InternalIP', address: `10.${100 + (i >> 8)}.${i & 255}.1` }] },
    }),
  );
  await inBatches(pods, (i) =>
    post('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `bench-pod-${i}`,
        labels: { app: `app-${i % 50}` },
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' },
      },
      spec: {
        nodeName: `bench-node-${i % nodes}`,
        containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 9102 }] }],
      },
    }),
  );
  process.stdout.write(`created ${nodes} nodes and ${pods} pods in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  // Wait until kwok gave the pods IPs (a pod without an IP is no target for either).
  for (;;) {
    const res = await cluster.request(
      'GET',
      '/api/v1/namespaces/default/pods?fieldSelector=status.phase%21%3DRunning&limit=1',
    );
    if ((JSON.parse(res.body) as { items: unknown[] }).items.length === 0) break;
    await delay(2000);
  }

  // watchkeeper
  const oursStart = Date.now();
  const ours = spawn(
    path.join(repo, 'node_modules/.bin/node'),
    [path.join(import.meta.dirname, 'ours.ts'), cluster.adminKubeconfig],
    { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MALLOC_ARENA_MAX: '2' } },
  );
  const events: { at: number; counts?: Record<string, number>; marker?: boolean; started?: boolean }[] = [];
  createInterface({ input: ours.stdout }).on('line', (l) => {
    events.push(JSON.parse(l) as (typeof events)[number]);
  });
  const expected = { kubelet: nodes + 1, cadvisor: nodes + 1, pods };
  const synced = (e: (typeof events)[number]) =>
    e.counts &&
    e.counts.kubelet === expected.kubelet &&
    e.counts.cadvisor === expected.cadvisor &&
    (e.counts.pods ?? 0) >= expected.pods;
  while (!events.some(synced)) await delay(100);
  const oursSyncMs = events.find(synced)!.at - oursStart;

  // vmagent with the same three jobs
  const config = path.join(dir, 'vmagent.yml');
  const sd = (role: string) => [{ role, kubeconfig_file: cluster.adminKubeconfig }];
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: '1h', scrape_timeout: '10s' },
      scrape_configs: [
        {
          job_name: 'kubelet',
          scheme: 'https',
          kubernetes_sd_configs: sd('node'),
          relabel_configs: [{ regex: '__meta_kubernetes_node_label_(.+)', action: 'labelmap' }],
        },
        { job_name: 'cadvisor', scheme: 'https', metrics_path: '/metrics/cadvisor', kubernetes_sd_configs: sd('node') },
        {
          job_name: 'pods',
          kubernetes_sd_configs: sd('pod'),
          relabel_configs: [
            { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], regex: 'true', action: 'keep' },
            {
              source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
              regex: '([^:]+)(?::\\d+)?;(\\d+)',
              replacement: '$1:$2',
              target_label: '__address__',
            },
            { regex: '__meta_kubernetes_pod_label_(.+)', action: 'labelmap' },
            { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
            { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
          ],
        },
      ],
    }),
  );
  const vmPort = await freePort();
  const vmStart = Date.now();
  const vm: ChildProcess = spawn(
    toolBinary('vmagent', 'vmagent'),
    [
      `-promscrape.config=${config}`,
      '-remoteWrite.url=http://127.0.0.1:1/api/v1/write',
      `-remoteWrite.tmpDataPath=${path.join(dir, 'vm')}`,
      `-httpListenAddr=127.0.0.1:${vmPort}`,
      '-loggerLevel=ERROR',
      '-promscrape.maxScrapeSize=1MB',
    ],
    { stdio: 'ignore' },
  );
  const vmTargets = async () => {
    const { body } = await httpGet(`http://127.0.0.1:${vmPort}/api/v1/targets?state=active`, { timeoutMs: 30_000 });
    return (JSON.parse(body) as { data: { activeTargets: { scrapePool: string; labels: Record<string, string> }[] } })
      .data.activeTargets;
  };
  let vmSyncMs = 0;
  for (;;) {
    const t = await vmTargets().catch(() => []);
    if (
      t.filter((x) => x.scrapePool === 'pods').length >= pods &&
      t.filter((x) => x.scrapePool === 'kubelet').length === nodes + 1
    ) {
      vmSyncMs = Date.now() - vmStart;
      break;
    }
    await delay(500);
  }

  await delay(20_000);
  const steady = { ours: snapshot(ours.pid!), vmagent: snapshot(vm.pid!) };
  await delay(30_000);
  const idle = { ours: snapshot(ours.pid!), vmagent: snapshot(vm.pid!) };

  // Time to follow: one new annotated pod
  const createdAt = Date.now();
  await post('/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bench-marker', annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' } },
    spec: { nodeName: 'bench-node-0', containers: [{ name: 'c', image: 'x' }] },
  });
  let oursFollowMs = 0;
  let vmFollowMs = 0;
  while (!oursFollowMs || !vmFollowMs) {
    const marker = events.find((e) => e.marker);
    if (marker && !oursFollowMs) oursFollowMs = marker.at - createdAt;
    if (!vmFollowMs && (await vmTargets().catch(() => [])).some((t) => t.labels.pod === 'bench-marker'))
      vmFollowMs = Date.now() - createdAt;
    await delay(100);
  }
  ours.kill('SIGTERM');
  vm.kill('SIGTERM');

  const row = (
    name: string,
    syncMs: number,
    s: ReturnType<typeof snapshot>,
    i: ReturnType<typeof snapshot>,
    follow: number,
  ) =>
    `| ${name} | ${(syncMs / 1000).toFixed(1)} | ${s.cpuSeconds.toFixed(1)} | ` +
    `${((i.cpuSeconds - s.cpuSeconds) / 30).toFixed(3)} | ` +
    `${s.rssMiB.toFixed(0)} / ${s.peakRssMiB.toFixed(0)} | ${(follow / 1000).toFixed(1)} |`;
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const body = `${machineLine()}; ${nodes} kwok nodes, ${pods} annotated pods, one API server (test/env);
peer vmagent v1.151.0 (kubernetes_sd_configs; scrape interval 1 h so that it discovers and hardly scrapes).
Three jobs each: kubelet and cAdvisor (role node) and annotated pods (role pod), with relabeling.
\`npm run bench -- discovery\`.

| discovery | initial sync s | CPU s to sync | CPU s/s idle | RSS / peak MiB | new pod is a target after s |
|---|---|---|---|---|---|
${row('watchkeeper', oursSyncMs, steady.ours, idle.ours, oursFollowMs)}
${row('vmagent', vmSyncMs, steady.vmagent, idle.vmagent, vmFollowMs)}

Ratios watchkeeper / vmagent: RSS ${ratio(steady.ours.rssMiB, steady.vmagent.rssMiB)}, CPU to sync
${ratio(steady.ours.cpuSeconds, steady.vmagent.cpuSeconds)}, time to follow ${ratio(oursFollowMs, vmFollowMs)}.
`;
  const bounds = `
What bounds watchkeeper here: an idle Node process with the TypeScript sources loaded is already about 100 MiB
of the RSS; the rest is the LIST pages decoded as whole JSON objects before they are trimmed, and the trimmed
caches. Idle CPU is kwok's node heartbeats: every node status change rebuilds the node jobs' target sets and
compares them (JSON) with the last one sent.
`;
  process.stdout.write(`${body}${bounds}\n`);
  await writeBenchmarkSection('## Kubernetes discovery (cluster-level mode)', `${body}${bounds}`);
} finally {
  await cluster.stop();
}
