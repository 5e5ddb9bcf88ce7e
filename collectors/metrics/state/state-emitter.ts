import type { ExpositionHandler, Labels } from '../types.ts';
import { NodeEmitter } from '../node/emitter.ts';
import { stateCounters, stateSeries, type StateSeries } from './series.ts';

/**
 * Hands cluster-state samples to an exposition handler under their family's kube-state-metrics name and help.
 * A value that is not a finite number (a field missing from the object) is skipped, not emitted as 0 or NaN.
 */
export class StateEmitter {
  private readonly out: NodeEmitter;
  /** Fields that could not be read during this collection (a quantity that is not one), described for the log. */
  readonly problems: string[] = [];

  constructor(handler: ExpositionHandler) {
    this.out = new NodeEmitter(handler);
  }

  /** Samples emitted so far. */
  get count(): number {
    return this.out.count;
  }

  /** Records a field that could not be read; the collector counts and logs it. */
  problem(description: string): void {
    this.problems.push(description);
  }

  /** Emits one sample of `family`; nothing when `value` is undefined or not finite. */
  emit(family: StateSeries, labels: Labels, value: number | undefined): void {
    if (value === undefined || !Number.isFinite(value)) return;
    const [name, help] = stateSeries[family];
    this.out.emit(name, stateCounters.has(family) ? 'counter' : 'gauge', help, labels, value);
  }

  /**
   * kube-state-metrics' encoding of a condition: one series per status (true, false, unknown), 1 for the one the
   * object reports; nothing when the object does not report the condition.
   */
  emitStatus(family: StateSeries, labels: Labels, status: string | undefined): void {
    if (status === undefined) return;
    const current = status.toLowerCase();
    for (const s of ['true', 'false', 'unknown']) this.emit(family, { ...labels, status: s }, current === s ? 1 : 0);
  }

  /** One series per possible `phase`, 1 for the current one; nothing when the object reports no phase. */
  emitPhase(family: StateSeries, labels: Labels, phases: readonly string[], phase: string | undefined): void {
    if (!phase) return;
    for (const p of phases) this.emit(family, { ...labels, phase: p }, p === phase ? 1 : 0);
  }
}
