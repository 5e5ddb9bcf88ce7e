import { z } from 'zod';
import { durationPattern } from '../duration.ts';

/** The resources the cluster-state collector can watch, each giving the series families of docs/metrics.md. */
export const stateResources = [
  'pods',
  'nodes',
  'namespaces',
  'deployments',
  'statefulsets',
  'daemonsets',
  'jobs',
  'horizontalpodautoscalers',
  'persistentvolumeclaims',
  'persistentvolumes',
] as const;

/** One resource of {@link stateResources}. */
export type StateResource = (typeof stateResources)[number];

/** The job name under which the collector scrapes its cluster-state exposition (kube-state-metrics' own). */
export const stateJob = 'kube-state-metrics';

/**
 * `metrics.state`: the cluster-state collector of `watchkeeper collector` (kube-state-metrics' series for pods,
 * workloads, nodes and volumes from one watch per resource), scraped as job "kube-state-metrics" by exactly one
 * replica. The service account needs list and watch on each resource in `resources`.
 */
export const stateCollectorConfigSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Serve kube-state-metrics series in collector mode, scraped as job "kube-state-metrics" ' +
          '(the agent ignores it).',
      ),
    resources: z
      .array(z.enum(stateResources))
      .min(1)
      .default([...stateResources])
      .refine((r) => new Set(r).size === r.length, { error: 'each resource at most once' })
      .describe('Resources to watch; leave out one the service account may not list (its series are then absent).'),
    interval: z
      .string()
      .regex(durationPattern, 'a duration such as 15s, 500ms or 1m30s')
      .default('30s')
      .describe('Time between two scrapes of the cluster-state series (as kube-state-metrics is usually scraped).'),
  })
  .prefault({});

/** The validated `metrics.state` configuration. */
export type StateCollectorConfig = z.output<typeof stateCollectorConfigSchema>;
