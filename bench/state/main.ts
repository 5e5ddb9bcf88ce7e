// The cluster-state collector's cost at scale, in one process: the memory of its pod and node caches trimmed
// (discovery/trim.ts) beside the same objects kept whole, as a plain informer keeps them (the peer), and the
// time and size of one collection (kube-state-metrics itself could not be fetched here: the Go module proxy
// answers 403 for k8s.io/kube-state-metrics/v2, so there is no peer for the collection time).
// Objects are the realistic shapes of test/fixtures/state with unique names. BENCH_PODS (default 10000) and
// BENCH_NODES (default 1000) set the size.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { KubeNode, KubePod } from '../../collectors/metrics/discovery/kube-objects.ts';
import { trimNode, trimPod } from '../../collectors/metrics/discovery/trim.ts';
import { TextExposition } from '../../collectors/metrics/node/text-exposition.ts';
import { emitNode } from '../../collectors/metrics/state/node-series.ts';
import { emitPod } from '../../collectors/metrics/state/pod-series.ts';
import { StateEmitter } from '../../collectors/metrics/state/state-emitter.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';

const podCount = Number(process.env.BENCH_PODS ?? 10_000);
const nodeCount = Number(process.env.BENCH_NODES ?? 1000);
const fixtures = path.join(import.meta.dirname, '../../test/fixtures/state');
const podFixture = readFileSync(path.join(fixtures, 'pod-crashlooping.json'), 'utf8');
const nodeFixture = readFileSync(path.join(fixtures, 'node.json'), 'utf8');

// Heap sizes are compared after full collections; bench/run.ts starts each benchmark without --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Fresh objects as the watch decodes them (one JSON.parse each, so nothing is shared between them). */
function decoded(): { pods: KubePod[]; nodes: KubeNode[] } {
  const pods = Array.from({ length: podCount }, (_, i) => {
    const pod = JSON.parse(podFixture) as KubePod;
    pod.metadata.name = `web-${i}`;
    pod.metadata.uid = `uid-${i}`;
    pod.spec!.nodeName = `worker-${i % nodeCount}`;
    return pod;
  });
  const nodes = Array.from({ length: nodeCount }, (_, i) => {
    const node = JSON.parse(nodeFixture) as KubeNode;
    node.metadata.name = `worker-${i}`;
    return node;
  });
  return { pods, nodes };
}

/** Heap bytes held by what `build` returns, measured after full collections. */
function retained<T>(build: () => T): { bytes: number; value: T } {
  gc();
  const before = process.memoryUsage().heapUsed;
  const value = build();
  gc();
  return { bytes: process.memoryUsage().heapUsed - before, value };
}

const full = retained(decoded);
const trimmed = retained(() => {
  const { pods, nodes } = decoded();
  return { pods: pods.map(trimPod), nodes: nodes.map(trimNode) };
});
void full.value;

const times: number[] = [];
let bytes = 0;
let samples = 0;
for (let run = 0; run < 7; run++) {
  const started = process.hrtime.bigint();
  const text = new TextExposition();
  const out = new StateEmitter(text);
  for (const pod of trimmed.value.pods) emitPod(pod, out);
  for (const node of trimmed.value.nodes) emitNode(node, out);
  const body = text.text();
  times.push(Number(process.hrtime.bigint() - started) / 1e6);
  bytes = Buffer.byteLength(body);
  samples = out.count;
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const ratio = trimmed.bytes / full.bytes;

const body = `${machineLine()}; ${podCount} pods (2 containers each, crash-looping shape) and ${nodeCount} nodes from
test/fixtures/state. \`npm run bench -- state\`.

| cache of pods and nodes | heap MiB | bytes per pod (incl. its share of nodes) |
|---|---|---|
| trimmed (watchkeeper's watch) | ${mib(trimmed.bytes)} | ${Math.round(trimmed.bytes / podCount)} |
| whole objects (a plain informer) | ${mib(full.bytes)} | ${Math.round(full.bytes / podCount)} |

Ratio trimmed / whole: ${ratio.toFixed(2)}. One collection of these objects (text exposition, the work of each
scrape of job kube-state-metrics): ${samples} samples, ${mib(bytes)} MiB of text, ${median.toFixed(0)} ms median of 7
(no peer: kube-state-metrics could not be fetched here, the Go module proxy answers 403 for it).`;
process.stdout.write(`${body}\n`);
await writeBenchmarkSection('## Cluster-state collector: trimmed caches and collection time', body);
