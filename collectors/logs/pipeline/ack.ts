/**
 * End-to-end acknowledgement of one source (a file generation or a queue segment). Batches hold
 * positions of it in the order they were read; batches may be delivered out of order, and the
 * acknowledged position moves only over the prefix of positions whose batches were all delivered.
 */
export class AckTarget {
  /** Position up to which everything is acknowledged. */
  acknowledged: number;
  private readonly pending: { position: number; done: boolean }[] = [];
  private readonly onAdvance: ((position: number) => void) | undefined;

  constructor(initial: number, onAdvance?: (position: number) => void) {
    this.acknowledged = initial;
    this.onAdvance = onAdvance;
  }

  /** Registers a position held by a batch; returns the handle to settle when the batch is delivered. */
  hold(position: number): { position: number; done: boolean } {
    const entry = { position, done: false };
    this.pending.push(entry);
    return entry;
  }

  /** Marks a held position as delivered and moves the acknowledged position as far as it can. */
  settle(entry: { position: number; done: boolean }): void {
    entry.done = true;
    let moved = false;
    while (this.pending.length > 0 && this.pending[0]!.done) {
      this.acknowledged = this.pending.shift()!.position;
      moved = true;
    }
    if (moved) this.onAdvance?.(this.acknowledged);
  }

  /** Positions held by batches not yet delivered. */
  get inFlight(): number {
    return this.pending.length;
  }
}
