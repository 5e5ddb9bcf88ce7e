import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from '../../../core/log.ts';
import type { KindTypes, SharedWatches } from '../discovery/shared-watches.ts';
import type { WatchedStore } from '../discovery/watched-store.ts';
import type { ExpositionHandler } from '../types.ts';
import type { StateResource } from './config.ts';
import { emitHorizontalPodAutoscaler, emitJob } from './job-series.ts';
import type { StateMetrics } from './metrics.ts';
import { emitNamespace, emitNode } from './node-series.ts';
import { emitPod } from './pod-series.ts';
import { StateEmitter } from './state-emitter.ts';
import { emitPersistentVolume, emitPersistentVolumeClaim } from './storage-series.ts';
import { emitDaemonSet, emitDeployment, emitStatefulSet } from './workload-series.ts';

/** The series of one object of each resource. */
const emitters: { [R in StateResource]: (object: KindTypes[R], out: StateEmitter) => void } = {
  pods: emitPod,
  nodes: emitNode,
  namespaces: emitNamespace,
  deployments: emitDeployment,
  statefulsets: emitStatefulSet,
  daemonsets: emitDaemonSet,
  jobs: emitJob,
  horizontalpodautoscalers: emitHorizontalPodAutoscaler,
  persistentvolumeclaims: emitPersistentVolumeClaim,
  persistentvolumes: emitPersistentVolume,
};

/**
 * Objects turned into series between two yields to the event loop. A collection of 10,000 pods takes about a
 * second of CPU on the 2-core test machine (bench/state); yielding every 1,000 objects keeps Lease renewals and
 * other scrapes from waiting for all of it.
 */
const objectsPerSlice = 1000;

/** Options of {@link StateCollector}. */
export interface StateCollectorOptions {
  /** The process's shared watches: a pod or node watch discovery already has is joined, not opened twice. */
  watches: SharedWatches;
  resources: readonly StateResource[];
  metrics: StateMetrics;
  logger: Logger;
}

/**
 * kube-state-metrics' series computed, at each scrape, from one cluster-wide watch per resource (trimmed
 * objects; no LIST after the first except on 410 Gone). A resource whose watch has not listed yet (the API is
 * down, or RBAC forbids it) contributes no series and is shown by watchkeeper_state_resource_ready 0, instead of
 * holding up the other resources. An object that cannot be turned into series is counted, logged and skipped;
 * the other objects' series are still emitted.
 */
export class StateCollector {
  private readonly options: StateCollectorOptions;
  private readonly stores = new Map<StateResource, WatchedStore<KindTypes[StateResource]>>();
  private readonly log: Logger;
  private lastProblems = '';
  private stopped = false;

  constructor(options: StateCollectorOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'state-collector' });
  }

  /** Opens (or joins) the watches; returns at once, each resource joining the series once it was listed. */
  start(): void {
    for (const resource of this.options.resources) {
      this.options.metrics.resourceReady.set({ resource }, 0);
      void this.options.watches.acquire(resource).then((store) => {
        if (this.stopped) return;
        this.stores.set(resource, store);
        this.options.metrics.resourceReady.set({ resource }, 1);
        this.log.debug({ resource, objects: store.size }, 'Cluster-state watch listed.');
      });
    }
  }

  /** Emits every series of every listed resource, yielding to the event loop now and then; returns the samples. */
  async collect(handler: ExpositionHandler): Promise<number> {
    const { metrics } = this.options;
    const out = new StateEmitter(handler);
    const failures: string[] = [];
    for (const resource of this.options.resources) {
      const store = this.stores.get(resource);
      if (!store) continue;
      metrics.objects.set({ resource }, store.size);
      const emit = emitters[resource] as (object: KindTypes[StateResource], out: StateEmitter) => void;
      const before = out.problems.length;
      let errors = 0;
      // A snapshot: the watch may change the store while this collection yields.
      let done = 0;
      for (const object of [...store.values()]) {
        if (++done % objectsPerSlice === 0) await yieldToLoop();
        try {
          emit(object, out);
        } catch (error) {
          errors++;
          failures.push(
            `${resource} ${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}: ${String(error)}`,
          );
        }
      }
      errors += out.problems.length - before;
      if (errors > 0) metrics.collectionErrors.inc({ resource }, errors);
    }
    metrics.samples.set(out.count);
    this.report([...failures, ...out.problems]);
    return out.count;
  }

  /** Lets go of the watches. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stores.clear();
    await Promise.all(this.options.resources.map((resource) => this.options.watches.release(resource)));
  }

  /** Logs what could not be collected when it changed since the last collection (not at every scrape). */
  private report(problems: string[]): void {
    const text = problems.join('\n');
    if (text === this.lastProblems) return;
    this.lastProblems = text;
    if (problems.length > 0)
      this.log.warn(
        { count: problems.length, first: problems.slice(0, 5) },
        'Cluster-state objects could not all be turned into series; they were skipped and counted.',
      );
  }
}
