// watchkeeper's cluster-level discovery as its own process, for the benchmark: three jobs (kubelet, cAdvisor,
// annotated pods) on shared watches, through relabeling; prints one JSON line per target-set change.
import { KubeClient, resolveKubeAccess } from '../../core/kube/index.ts';
import { kubernetesDiscoverySchema } from '../../collectors/metrics/discovery/config.ts';
import { createKubernetesSource } from '../../collectors/metrics/discovery/factory.ts';
import { RelabelingTargetSource } from '../../collectors/metrics/discovery/relabeling-source.ts';
import { SharedWatches } from '../../collectors/metrics/discovery/shared-watches.ts';
import { compileRelabelRules } from '../../collectors/metrics/relabel/relabel.ts';
import { relabelConfigSchema } from '../../collectors/metrics/relabel/config.ts';

const kubeconfig = process.argv[2]!;
// The benchmark reads our stdout; when it is gone, so are we.
process.stdout.on('error', () => process.exit(0));
const client = new KubeClient(await resolveKubeAccess({ kubeconfig }));
const watches = new SharedWatches(client);
const jobs = [
  { job: 'kubelet', sd: { role: 'node' } },
  { job: 'cadvisor', sd: { role: 'node', metricsPath: '/metrics/cadvisor' } },
  { job: 'pods', sd: { role: 'pod' } },
];
const rules = compileRelabelRules(
  [
    { regex: '__meta_kubernetes_(node|pod)_label_(.+)', replacement: '$2', action: 'labelmap' },
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
  ].map((r) => relabelConfigSchema.parse(r)),
);
const counts: Record<string, number> = {};
for (const { job, sd } of jobs) {
  const source = new RelabelingTargetSource({
    source: createKubernetesSource(job, kubernetesDiscoverySchema.parse(sd), { watches, debounceMs: 200 }),
    rules,
    defaults: { job, scheme: 'https', metricsPath: '/metrics', scrapeIntervalMs: 30_000, scrapeTimeoutMs: 10_000 },
  });
  await source.start((targets) => {
    counts[job] = targets.length;
    process.stdout.write(`${JSON.stringify({ at: Date.now(), counts })}\n`);
    if (job === 'pods') {
      const marker = targets.find((t) => t.pod === 'bench-marker');
      if (marker) process.stdout.write(`${JSON.stringify({ at: Date.now(), marker: true })}\n`);
    }
  });
}
process.stdout.write(`${JSON.stringify({ at: Date.now(), started: true, counts })}\n`);
process.on('SIGTERM', () => {
  void watches.stop().then(() => process.exit(0));
});
