import type { ProberConfig } from '../config.ts';
import type { ProbeStep } from '../step.ts';
import { apiStep } from './api.ts';
import { inClusterStep } from './in-cluster.ts';
import { leftoversStep } from './leftovers.ts';
import { namespaceStep } from './namespace.ts';
import { serviceStep } from './service.ts';
import { teardownStep } from './teardown.ts';
import { workloadStep } from './workload.ts';
import { writeStep } from './write.ts';

/** The steps of one probe run, in order, with their configured time bounds. */
export function probeSteps(config: ProberConfig): ProbeStep[] {
  const t = config.timeouts;
  return [
    apiStep(t.apiSeconds * 1000),
    namespaceStep(t.namespaceSeconds * 1000),
    writeStep(t.writeSeconds * 1000),
    workloadStep(t.workloadSeconds * 1000),
    serviceStep(t.serviceSeconds * 1000),
    inClusterStep(t.inClusterSeconds * 1000),
    teardownStep(t.teardownSeconds * 1000),
    leftoversStep(t.leftoversSeconds * 1000),
  ];
}
