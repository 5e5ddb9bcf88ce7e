import { Counter, Gauge, type Registry } from 'prom-client';

/** Metric names of the cluster-state collector itself; alerts and dashboards import them from here. */
export const stateMetricNames = {
  objects: 'watchkeeper_state_objects',
  resourceReady: 'watchkeeper_state_resource_ready',
  collectionErrors: 'watchkeeper_state_collection_errors_total',
  samples: 'watchkeeper_state_samples',
} as const;

/** The metrics of the cluster-state collector, on the registry passed in. */
export interface StateMetrics {
  /** Objects held by the watch of each resource (trimmed copies), as of the last collection. */
  objects: Gauge<'resource'>;
  /** 1 once the resource's watch has listed it, 0 before (e.g. the service account may not list it). */
  resourceReady: Gauge<'resource'>;
  /** Objects or fields that could not be turned into series, by resource. */
  collectionErrors: Counter<'resource'>;
  /** Samples the last collection produced. */
  samples: Gauge;
}

/** Creates the cluster-state collector's metrics on `registry`. */
export function createStateMetrics(registry: Registry): StateMetrics {
  const registers = [registry];
  return {
    objects: new Gauge({
      name: stateMetricNames.objects,
      help: 'Objects the cluster-state collector holds from its watch of each resource.',
      labelNames: ['resource'],
      registers,
    }),
    resourceReady: new Gauge({
      name: stateMetricNames.resourceReady,
      help: '1 once the watch of the resource has listed it; 0 while it cannot (RBAC, API down).',
      labelNames: ['resource'],
      registers,
    }),
    collectionErrors: new Counter({
      name: stateMetricNames.collectionErrors,
      help: 'Objects or fields of the resource the cluster-state collector could not turn into series.',
      labelNames: ['resource'],
      registers,
    }),
    samples: new Gauge({
      name: stateMetricNames.samples,
      help: 'Samples the last cluster-state collection produced.',
      registers,
    }),
  };
}
