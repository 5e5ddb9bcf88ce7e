import type { ExpositionHandler, FamilyMeta, Labels, MetricType } from '../types.ts';

/**
 * Hands the node collector's samples to an {@link ExpositionHandler} as the exposition parser would: each
 * family's metadata built once, samples in order, all with the collection's timestamp left to the scraper.
 */
export class NodeEmitter {
  private readonly families = new Map<string, FamilyMeta>();
  private readonly handler: ExpositionHandler;
  /** Samples emitted so far. */
  count = 0;

  constructor(handler: ExpositionHandler) {
    this.handler = handler;
  }

  /** Emits one sample of family `name` (counters are named with their `_total`, as node_exporter exposes them). */
  emit(name: string, type: MetricType, help: string, labels: Labels, value: number): void {
    let family = this.families.get(name);
    if (!family) {
      family = { name, type, help };
      this.families.set(name, family);
    }
    this.handler.sample({ name, labels, value }, family);
    this.count++;
  }
}
