import { listAll } from '../../core/kube/list.ts';
import { resourcePath, resources } from '../../core/kube/paths.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import { workloadName } from '../labels.ts';
import { isPodReady, type Pod } from '../pods.ts';
import { ProbeFailure, type ProbeContext, type ProbeStep } from '../step.ts';
import { measured, seconds, waitFor } from '../wait.ts';

interface EndpointSlice extends KubeObject {
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; terminating?: boolean };
    targetRef?: { name?: string };
  }[];
}

/** The probe Service: port 80 to the pods' HTTP port. */
export function probeService(port: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: workloadName, labels: { app: workloadName } },
    spec: { selector: { app: workloadName }, ports: [{ name: 'http', port: 80, targetPort: port, protocol: 'TCP' }] },
  };
}

/** What the Service's EndpointSlices say now. */
interface SliceView {
  slices: number;
  ready: string[];
}

/**
 * Step "service": a Service selecting the probe pods; its EndpointSlices must list exactly the
 * Ready pods' IPs as ready endpoints. Then the Deployment scales to N-1 and the removed pod's
 * endpoint must go.
 */
export const serviceStep = (timeoutMs: number): ProbeStep => ({
  name: 'service',
  timeoutMs,
  async run(ctx: ProbeContext): Promise<string> {
    const { client, signal, config } = ctx;
    const started = performance.now();
    ctx.progress(`creating service ${workloadName}`);
    await client.postJson(resourcePath(resources.services, ctx.namespace), probeService(config.port), { signal });

    ctx.progress(`waiting for EndpointSlices of service ${workloadName} to list ${config.replicas} Ready pods`);
    let last: { view: SliceView; expected: string[] } | undefined;
    const first = await waitFor(
      signal,
      async () => {
        last = { view: await slices(ctx, signal), expected: await readyPodIps(ctx, signal) };
        return last.expected.length === config.replicas && sameSet(last.view.ready, last.expected) ? last : undefined;
      },
      300,
    );
    if (!first) throw new ProbeFailure(mismatch(last, timeoutMs));
    const firstMs = performance.now() - started;

    ctx.progress(`scaling deployment ${workloadName} to ${config.replicas - 1}`);
    await client.patchJson(
      resourcePath(resources.deployments, ctx.namespace, workloadName),
      { spec: { replicas: config.replicas - 1 } },
      { signal },
    );
    const scaledAt = performance.now();
    ctx.progress(`waiting for service ${workloadName} to drop one endpoint`);
    const second = await waitFor(
      signal,
      async () => {
        last = { view: await slices(ctx, signal), expected: await readyPodIps(ctx, signal) };
        return last.expected.length === config.replicas - 1 && sameSet(last.view.ready, last.expected)
          ? last
          : undefined;
      },
      300,
    );
    if (!second) throw new ProbeFailure(`after scaling to ${config.replicas - 1}: ${mismatch(last, timeoutMs)}`);
    return `${config.replicas} endpoints after ${measured(firstMs)}; scale-down seen after ${measured(performance.now() - scaledAt)}`;
  },
});

async function slices(ctx: ProbeContext, signal: AbortSignal): Promise<SliceView> {
  const list = await listAll<EndpointSlice>(ctx.client, resourcePath(resources.endpointSlices, ctx.namespace), {
    labelSelector: `kubernetes.io/service-name=${workloadName}`,
    signal,
  });
  const ready = list.items.flatMap((s) =>
    (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses),
  );
  return { slices: list.items.length, ready: [...new Set(ready)].sort() };
}

async function readyPodIps(ctx: ProbeContext, signal: AbortSignal): Promise<string[]> {
  const pods = await listAll<Pod>(ctx.client, resourcePath(resources.pods, ctx.namespace), {
    labelSelector: `app=${workloadName}`,
    signal,
  });
  return pods.items
    .filter(isPodReady)
    .map((p) => p.status?.podIP ?? '')
    .filter((ip) => ip !== '')
    .sort();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function mismatch(last: { view: SliceView; expected: string[] } | undefined, timeoutMs: number): string {
  const head = `service ${workloadName}:`;
  if (!last) return `${head} EndpointSlices could not be read within ${seconds(timeoutMs)}`;
  const { view, expected } = last;
  if (view.slices === 0)
    return `${head} no EndpointSlice after ${seconds(timeoutMs)} (is kube-controller-manager running?); Ready pod IPs: ${expected.join(', ') || 'none'}`;
  if (view.ready.length === 0)
    return `${head} EndpointSlice empty after ${seconds(timeoutMs)}; expected ready endpoints ${expected.join(', ') || 'none'}`;
  return `${head} EndpointSlices list ${view.ready.join(', ')} after ${seconds(timeoutMs)}, expected exactly the Ready pods ${expected.join(', ') || 'none'}`;
}
