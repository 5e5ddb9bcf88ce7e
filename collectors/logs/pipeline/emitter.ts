import { redact, type Redaction } from '../enrich/redact.ts';
import type { AckTarget } from './ack.ts';
import type { CarriedPartial, PendingPartial } from './carried-partial.ts';
import type { IndexNames } from './index-names.ts';
import type { Pipeline } from './pipeline.ts';

/** Message transforms shared by the emitters of one source. */
export interface MessageOptions {
  redactions: Redaction[];
  exclude?: RegExp;
  parseJson: boolean;
  multilineStart?: RegExp;
  /** Joined multiline messages are cut at this size. */
  maxMessageBytes: number;
}

/** Per-chunk counters a tailer moves into the metrics. */
export interface EmitCounters {
  events: number;
  errors: Record<string, number>;
}

/** A pending multiline message. */
interface Pending {
  timestamp: string;
  stderr: boolean;
  message: string;
  offset: number;
  endOffset: number;
  truncated: boolean;
}

const docHead = Buffer.from('{"@timestamp":"');
const messageKey = Buffer.from('","message":');
const stdoutTail = Buffer.from(',"stream":"stdout","log":{"offset":');
const stderrTail = Buffer.from(',"stream":"stderr","log":{"offset":');

/**
 * Writes the events of one file into the pipeline's current batch: container messages (fast path
 * straight from the read buffer when no transform is configured), klog records and JSON documents.
 * `target` and `idPrefix` belong to the file's current identity; `suffix` is the file's static
 * document tail (path, Kubernetes metadata), refreshed when pod metadata changes.
 */
export class FileEmitter {
  target: AckTarget;
  /** Prefix of document ids (the file identity); the event's offset follows. */
  get idPrefix(): string {
    return this.idPrefixText;
  }
  set idPrefix(value: string) {
    this.idPrefixText = value;
    this.idPrefixBytes = Buffer.from(value);
  }
  private idPrefixText = '';
  private idPrefixBytes = Buffer.alloc(0);
  /** Closes `log` and adds the static fields; starts with `,"file":`... and ends with `}`. */
  suffix: Buffer;
  readonly counters: EmitCounters = { events: 0, errors: {} };
  /**
   * Set by the tail while its generation ends: takes a message still waiting for its F piece to the
   * next generation of the path; false when there is none that can take it (the parser emits it).
   */
  handOff: ((partial: PendingPartial) => boolean) | undefined;
  /** A message carried in from the previous generation; the parser takes it before the first line. */
  inherited: CarriedPartial | undefined;
  private readonly pipeline: Pipeline;
  private readonly names: IndexNames;
  private readonly options: MessageOptions;
  private readonly slow: boolean;
  private pending: Pending | undefined;

  constructor(
    pipeline: Pipeline,
    names: IndexNames,
    options: MessageOptions,
    target: AckTarget,
    idPrefix: string,
    suffix: Buffer,
  ) {
    this.pipeline = pipeline;
    this.names = names;
    this.options = options;
    this.target = target;
    this.idPrefix = idPrefix;
    this.suffix = suffix;
    this.slow =
      options.redactions.length > 0 ||
      options.exclude !== undefined ||
      options.parseJson ||
      options.multilineStart !== undefined;
  }

  /** Counts a problem with a line (the line is still shipped). */
  error(reason: string): void {
    this.counters.errors[reason] = (this.counters.errors[reason] ?? 0) + 1;
  }

  /** Moves the position on without an event. */
  skip(endOffset: number): void {
    if (this.pending) return;
    this.pipeline.advance(this.target, endOffset);
  }

  /**
   * One container message. `ts` is an RFC 3339 timestamp in bytes; `offset` identifies the event
   * (the file offset of its first line), `endOffset` is where the next event starts.
   */
  container(
    tsBuf: Buffer,
    tsStart: number,
    tsEnd: number,
    stderr: boolean,
    msg: Buffer,
    msgStart: number,
    msgEnd: number,
    offset: number,
    endOffset: number,
    truncated: boolean,
  ): void {
    if (this.slow) {
      this.containerSlow(
        tsBuf.toString('latin1', tsStart, tsEnd),
        stderr,
        msg.toString('utf8', msgStart, msgEnd),
        offset,
        endOffset,
        truncated,
      );
      return;
    }
    const b = this.pipeline.current;
    b.beginItemBytes(this.names.actionPrefix('logs', tsBuf, tsStart, tsEnd), this.idPrefixBytes, offset);
    b.put(docHead);
    b.slice(tsBuf, tsStart, tsEnd);
    b.put(messageKey);
    const invalid = b.invalidUtf8;
    b.jsonBytes(msg, msgStart, msgEnd);
    if (b.invalidUtf8 !== invalid) this.error('invalid_utf8');
    if (truncated) b.ascii(',"truncated":true');
    b.put(stderr ? stderrTail : stdoutTail);
    b.digits(offset);
    b.put(this.suffix);
    b.endItem(this.target, endOffset);
    this.counters.events++;
    this.pipeline.rotateIfFull();
  }

  /**
   * A carried message completed (or ended) in this generation: written with its first generation's
   * id, and that generation acknowledged to its end in the same batch.
   */
  containerCarried(
    carried: Pick<CarriedPartial, 'idPrefix' | 'target' | 'endPosition'>,
    tsBuf: Buffer,
    tsEnd: number,
    stderr: boolean,
    msg: Buffer,
    msgEnd: number,
    offset: number,
    endOffset: number,
    truncated: boolean,
  ): void {
    this.pipeline.advance(carried.target, carried.endPosition);
    const own = this.idPrefixText;
    this.idPrefix = carried.idPrefix;
    try {
      if (this.slow)
        this.writeContainer(
          tsBuf.toString('latin1', 0, tsEnd),
          stderr,
          msg.toString('utf8', 0, msgEnd),
          offset,
          endOffset,
          truncated,
        );
      else this.container(tsBuf, 0, tsEnd, stderr, msg, 0, msgEnd, offset, endOffset, truncated);
    } finally {
      this.idPrefix = own;
    }
  }

  private containerSlow(
    timestamp: string,
    stderr: boolean,
    message: string,
    offset: number,
    endOffset: number,
    truncated: boolean,
  ): void {
    const { options } = this;
    if (options.multilineStart) {
      const p = this.pending;
      if (p && !options.multilineStart.test(message)) {
        if (p.message.length + message.length + 1 <= options.maxMessageBytes) p.message += `\n${message}`;
        else if (!p.truncated) {
          p.truncated = true;
          this.error('multiline_truncated');
        }
        p.endOffset = endOffset;
        return;
      }
      this.flush();
      this.pending = { timestamp, stderr, message, offset, endOffset, truncated };
      return;
    }
    this.writeContainer(timestamp, stderr, message, offset, endOffset, truncated);
  }

  /** Emits a pending multiline message (at the start of the next one, when the file is idle, at the end). */
  flush(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.writeContainer(p.timestamp, p.stderr, p.message, p.offset, p.endOffset, p.truncated);
  }

  private writeContainer(
    timestamp: string,
    stderr: boolean,
    message: string,
    offset: number,
    endOffset: number,
    truncated: boolean,
  ): void {
    const { options } = this;
    if (options.exclude?.test(message)) {
      this.pipeline.advance(this.target, endOffset);
      return;
    }
    const text = options.redactions.length > 0 ? redact(message, options.redactions) : message;
    let json: string | undefined;
    if (options.parseJson && text.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = JSON.stringify(parsed);
      } catch {
        // Not JSON after all: shipped as text.
      }
    }
    const b = this.pipeline.current;
    b.beginItem(this.names.forTimestamp('logs', timestamp), this.idPrefix + offset);
    b.ascii('{"@timestamp":');
    b.jsonString(timestamp);
    b.ascii(',"message":');
    b.jsonString(text);
    if (json !== undefined) {
      b.ascii(',"json":');
      b.utf8(json);
    }
    if (truncated) b.ascii(',"truncated":true');
    const tail = stderr ? stderrTail : stdoutTail;
    b.raw(tail, 0, tail.length);
    b.number(offset);
    b.raw(this.suffix, 0, this.suffix.length);
    b.endItem(this.target, endOffset);
    this.counters.events++;
    this.pipeline.rotateIfFull();
  }

  /** A document given as fields (klog records, audit events): `fields` is a JSON object text without `log`. */
  document(
    kind: 'logs' | 'audit',
    timestamp: string,
    id: string,
    fields: string,
    offset: number,
    endOffset: number,
  ): void {
    const b = this.pipeline.current;
    b.beginItem(this.names.forTimestamp(kind, timestamp), id);
    if (kind === 'audit') {
      b.utf8(fields);
    } else {
      // fields is `{...}`: reopen it to add the file position and static fields.
      b.utf8(fields.slice(0, -1));
      b.ascii(',"log":{"offset":');
      b.number(offset);
      b.raw(this.suffix, 0, this.suffix.length);
    }
    b.endItem(this.target, endOffset);
    this.counters.events++;
    this.pipeline.rotateIfFull();
  }
}
