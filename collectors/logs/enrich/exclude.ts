import type { LineParser } from '../parsers/line-parser.ts';
import type { FileEmitter } from '../pipeline/emitter.ts';

/**
 * Wraps a file's parser: while `excluded` is true, lines are consumed without events (the
 * checkpoint still moves). The flag can change when the pod's annotations change.
 */
export class ExcludableParser implements LineParser {
  excluded: boolean;
  private readonly inner: LineParser;
  private readonly emitter: FileEmitter;

  constructor(inner: LineParser, emitter: FileEmitter, excluded: boolean) {
    this.inner = inner;
    this.emitter = emitter;
    this.excluded = excluded;
  }

  line(buf: Buffer, start: number, end: number, offset: number, endOffset: number): void {
    if (this.excluded) this.emitter.skip(endOffset);
    else this.inner.line(buf, start, end, offset, endOffset);
  }

  idle(): void {
    this.inner.idle();
  }

  end(): void {
    this.inner.end();
  }

  reset(): void {
    this.inner.reset();
  }
}

/** Whether a pod's logs are excluded by namespace or by its annotation. */
export function isExcluded(
  namespace: string | undefined,
  annotations: Record<string, string> | undefined,
  excludeNamespaces: readonly string[],
  annotation: string,
): boolean {
  if (namespace !== undefined && excludeNamespaces.includes(namespace)) return true;
  return annotations?.[annotation] === 'true';
}
