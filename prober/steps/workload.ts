import { listAll } from '../../core/kube/list.ts';
import { resourcePath, resources } from '../../core/kube/paths.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import { startWatch } from '../../core/kube/watch.ts';
import type { ProberConfig } from '../config.ts';
import { workloadName } from '../labels.ts';
import { isPodReady, quantile, summariseNotReady, type Pod } from '../pods.ts';
import { ProbeFailure, type ProbeContext, type ProbeStep } from '../step.ts';
import { measured, seconds, unlessAborted, waitFor } from '../wait.ts';

interface ReplicaSet extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas?: number; conditions?: { type: string; status: string; message?: string }[] };
}

/** The probe Deployment: `replicas` pods of the configured image, with an HTTP readiness probe. */
export function probeDeployment(config: ProberConfig, replicas: number): KubeObject {
  const labels = { app: workloadName };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: workloadName, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 1,
          // Pod Security "restricted" (the namespace enforces it): an unprivileged user, no capability, no escalation.
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65534,
            runAsGroup: 65534,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          nodeSelector: config.nodeSelector,
          tolerations: config.tolerations,
          containers: [
            {
              name: 'web',
              image: config.image,
              args: config.args,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: config.port }],
              readinessProbe: { httpGet: { path: config.httpPath, port: config.port }, periodSeconds: 2 },
              resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };
}

/**
 * Step "workload": a Deployment of N replicas must give N Ready pods. Each pod's startup latency is
 * measured on a watch (ADDED event to the event showing it Ready) and compared with the SLO.
 */
export const workloadStep = (timeoutMs: number): ProbeStep => ({
  name: 'workload',
  timeoutMs,
  async run(ctx: ProbeContext): Promise<string> {
    const { client, signal, config } = ctx;
    const n = config.replicas;
    const podsPath = resourcePath(resources.pods, ctx.namespace);
    const seen = new Map<string, { addedAt: number; readyAt?: number; pod: Pod }>();
    const watch = startWatch<Pod>(
      client,
      podsPath,
      {
        onList: (items) => {
          for (const pod of items) seen.set(pod.metadata.name!, { addedAt: performance.now(), pod });
        },
        onEvent: (event) => {
          const name = event.object.metadata.name!;
          if (event.type === 'DELETED') {
            seen.delete(name);
            return;
          }
          const entry = seen.get(name) ?? { addedAt: performance.now(), pod: event.object };
          entry.pod = event.object;
          if (entry.readyAt === undefined && isPodReady(event.object)) entry.readyAt = performance.now();
          seen.set(name, entry);
        },
        onError: (error) => ctx.logger.debug({ err: error }, 'Probe pod watch failed; reconnecting.'),
      },
      { labelSelector: `app=${workloadName}`, timeoutSeconds: Math.ceil(timeoutMs / 1000) + 30 },
    );
    try {
      await unlessAborted(watch.ready, signal);
      ctx.progress(`creating deployment ${workloadName}`);
      await client.postJson(resourcePath(resources.deployments, ctx.namespace), probeDeployment(config, n), { signal });
      ctx.progress(`waiting for ${n} pods Ready`);
      const ready = await waitFor(
        signal,
        () => {
          const readyPods = [...seen.values()].filter((e) => e.readyAt !== undefined && isPodReady(e.pod));
          return readyPods.length >= n ? readyPods : undefined;
        },
        100,
      );
      if (!ready)
        throw new ProbeFailure(
          await describeNotReady(
            ctx,
            [...seen.values()].map((e) => e.pod),
            n,
            timeoutMs,
          ),
        );
      const latencies = ready.map((e) => e.readyAt! - e.addedAt);
      ctx.measurements.podStartupMs = latencies;
      ctx.measurements.readyPods = ready.map((e) => ({ name: e.pod.metadata.name!, ip: e.pod.status?.podIP ?? '' }));
      const p50 = quantile(latencies, 0.5)!;
      const p99 = quantile(latencies, 0.99)!;
      const slo = config.podStartupSloSeconds * 1000;
      const verdict = p99 <= slo ? 'met' : 'MISSED';
      if (verdict === 'MISSED' && config.failOnPodStartupSlo) {
        throw new ProbeFailure(
          `deployment ${workloadName}: pod startup p99 ${seconds(p99)} exceeds the SLO of ${seconds(slo)}`,
        );
      }
      return `${n}/${n} pods Ready; startup p50 ${measured(p50)} p99 ${measured(p99)} (SLO p99 <= ${seconds(slo)}: ${verdict})`;
    } finally {
      await watch.stop();
    }
  },
});

/** Explains why the Deployment has fewer Ready pods than wanted, asking the API what it can. */
async function describeNotReady(ctx: ProbeContext, watched: Pod[], wanted: number, timeoutMs: number): Promise<string> {
  const prefix = `deployment ${workloadName}:`;
  // The step's signal has fired: these diagnostic reads get their own short bound.
  const diagnose = AbortSignal.timeout(5000);
  let pods = watched;
  try {
    pods = (
      await listAll<Pod>(ctx.client, resourcePath(resources.pods, ctx.namespace), {
        labelSelector: `app=${workloadName}`,
        signal: diagnose,
      })
    ).items;
  } catch {
    /* keep what the watch saw */
  }
  const readyCount = pods.filter(isPodReady).length;
  const head = `${prefix} ${readyCount}/${wanted} pods Ready after ${seconds(timeoutMs)}`;
  if (pods.length === 0) {
    try {
      const sets = await listAll<ReplicaSet>(ctx.client, resourcePath(resources.replicaSets, ctx.namespace), {
        signal: diagnose,
      });
      if (sets.items.length === 0) return `${head}; no ReplicaSet was created (is kube-controller-manager running?)`;
      const failure = sets.items
        .flatMap((rs) => rs.status?.conditions ?? [])
        .find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
      return `${head}; ReplicaSet ${sets.items[0]!.metadata.name} exists but no pod was created${failure?.message ? `: ${failure.message}` : ' (is kube-controller-manager running?)'}`;
    } catch (error) {
      return `${head}; no pods, and the ReplicaSets could not be read: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  const notReady = pods.filter((p) => !isPodReady(p));
  return `${head}; ${summariseNotReady(notReady)}`;
}
