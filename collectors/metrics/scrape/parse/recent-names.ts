import { interned } from './names.ts';

/**
 * The last few distinct names the parser met, interned, to hand out again without allocating when
 * a line repeats one: a histogram's lines cycle through `_bucket`, `_sum` and `_count`, and its `le`
 * label comes and goes. A miss interns the name and replaces the oldest entry.
 */
export class RecentNames {
  private readonly names: string[] = [];
  private next = 0;
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** The name `s[start, end)`, which the caller has validated. */
  get(s: string, start: number, end: number): string {
    const length = end - start;
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      const candidate = names[i]!;
      if (candidate.length === length && s.slice(start, end) === candidate) return candidate;
    }
    const name = interned(s.slice(start, end));
    names[this.next] = name;
    this.next = (this.next + 1) % this.capacity;
    return name;
  }
}
