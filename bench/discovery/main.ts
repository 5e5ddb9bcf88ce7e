// Cluster-level discovery with many kwok nodes and annotated pods: watchkeeper's discovery (three jobs on shared
// watches, with relabeling) beside vmagent's kubernetes_sd_configs doing the same jobs, in the same run against the
// same API server. Measures memory and CPU after the initial sync and the time until a new annotated pod is a
// target. Debian's Prometheus is built without Kubernetes discovery, so vmagent is the peer.
// BENCH_NODES (default 1000) and BENCH_PODS (default 10000) set the size.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort, startCluster, toolBinary } from '../../test/env/index.ts';
import { httpGet } from '../../test/env/http.ts';
import { ClusterPopulator } from './populate.ts';
import { snapshot } from '../metrics/contenders.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';

const nodes = Number(process.env.BENCH_NODES ?? 1000);
const pods = Number(process.env.BENCH_PODS ?? 10_000);
const repo = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'wk-bench-discovery-'));

const cluster = await startCluster({ nodes: 1 });
try {
  const populate = await ClusterPopulator.connect(cluster.adminKubeconfig);
  const started = Date.now();
  await populate.nodes(nodes);
  const nodesMs = Date.now() - started;
  await populate.pods(pods, nodes);
  const setupMs = Date.now() - started;
  const setupLine =
    `Setup: ${nodes} nodes created in ${(nodesMs / 1000).toFixed(0)} s, ${pods} Running pods in ` +
    `${((setupMs - nodesMs) / 1000).toFixed(0)} s more (bench/discovery/populate.ts).`;
  process.stdout.write(
    `${setupLine} Load average: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')}\n`,
  );
  if (process.env.BENCH_SETUP_ONLY) {
    await cluster.stop();
    process.exit(0);
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
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

  // Time to follow: one new annotated pod
  const createdAt = Date.now();
  await populate.runningPod('bench-marker', pods, 0);
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
Three jobs each: kubelet and cAdvisor (role node) and annotated pods (role pod), with relabeling. "New pod is a target"
counts from the create request of a pod that the benchmark sets Running (with an IP) right after.
\`npm run bench -- discovery\`. ${setupLine}
Load average (1 / 5 / 15 min) when the idle CPU was read: ${load} (the machine is shared).

| discovery | initial sync s | CPU s to sync | CPU s/s idle | RSS / peak MiB | new pod is a target after s |
|---|---|---|---|---|---|
${row('watchkeeper', oursSyncMs, steady.ours, idle.ours, oursFollowMs)}
${row('vmagent', vmSyncMs, steady.vmagent, idle.vmagent, vmFollowMs)}

Ratios watchkeeper / vmagent: RSS ${ratio(steady.ours.rssMiB, steady.vmagent.rssMiB)}, CPU to sync
${ratio(steady.ours.cpuSeconds, steady.vmagent.cpuSeconds)}, time to follow ${ratio(oursFollowMs, vmFollowMs)}.
`;
  const bounds = `
What bounds watchkeeper here: an idle Node process with the TypeScript sources loaded is already about 100 MiB
of the RSS. Measured once in-process at 1,000 nodes and 10,000 pods (2026-11-29, full GC before each reading):
a trimmed pod costs about 1.3 KB (28 MiB of heap in use with the pod store alone, 54 MiB with the three jobs'
target sets), and the heap V8 keeps reserved, about 100 MiB after the initial LIST and 207 MiB once the target
sets are built (every target with its \`__meta_*\` labels, relabeled, and compared as JSON with the set sent
before), is what the RSS follows. Before the fix in core/kube/watch.ts, the initial LIST's whole objects were
trimmed only after the last page and then stayed alive in the watch loop's suspended frame: 101 MiB in use and
230 MiB reserved with the pod store alone, and this benchmark (same day, load 16.6) read watchkeeper 591 MiB RSS
and 8.9 s CPU to sync against vmagent's 197 MiB and 3.0 s (3.00× and 2.94×), new pod a target after 3.6 s vs
7.5 s. Building the target sets incrementally instead of whole on every change is the next step. Idle CPU is
kwok's node heartbeats: every node status change rebuilds the node jobs' target sets and compares them with the
last one sent.
`;
  process.stdout.write(`${body}${bounds}\n`);
  await writeBenchmarkSection('## Kubernetes discovery (cluster-level mode)', `${body}${bounds}`);
} finally {
  await cluster.stop();
}
