import type { AckTarget } from './ack.ts';

const hex = '0123456789abcdef';

/** Per byte: 0 copied as is, 1 escaped (quote, backslash, control), 2 starts a multi-byte UTF-8 sequence. */
const byteKind = new Uint8Array(256);
for (let c = 0; c < 256; c++) byteKind[c] = c < 0x20 || c === 34 || c === 92 ? 1 : c >= 0x80 ? 2 : 0;

/**
 * One batch of events, serialised as Elasticsearch bulk items
 * (`{"create":{"_index":..,"_id":..}}\n<document>\n`) into one growing byte buffer, so that a line
 * goes from the read buffer to the request body without intermediate strings. It remembers where
 * each item and each document starts, so that failed items can be sent again alone and the
 * directory sink can write the documents only, and the last position of every source it holds.
 */
export class Batch {
  /** Bulk body bytes; valid up to `length`. */
  buf: Buffer;
  length = 0;
  /** Start offset of each item's action line. */
  itemStarts: number[] = [];
  /** Start offset of each item's document. */
  docStarts: number[] = [];
  /** Highest position per source in this batch, acknowledged when the batch is delivered. */
  readonly marks = new Map<AckTarget, number>();
  /** When the first event went in (ms since epoch). */
  openedAt = 0;
  /** Number of events whose message contained invalid UTF-8 (replaced). */
  invalidUtf8 = 0;
  private lastTarget: AckTarget | undefined;
  private lastPos = 0;
  private itemStart = -1;

  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Events in the batch. */
  get count(): number {
    return this.itemStarts.length;
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /** Starts an item: writes the action line and returns; the caller writes the document, then calls endItem. */
  beginItem(index: string, id: string): void {
    if (this.openedAt === 0) this.openedAt = Date.now();
    this.itemStart = this.length;
    // Both may come from untrusted input (an audit ID, a timestamp): JSON-escaped, a quote cannot break the request.
    this.ascii('{"create":{"_index":');
    this.utf8(JSON.stringify(index));
    this.ascii(',"_id":');
    this.utf8(JSON.stringify(id));
    this.ascii('}}\n');
    this.itemStarts.push(this.itemStart);
    this.docStarts.push(this.length);
  }

  /**
   * Starts an item from prepared bytes: `actionPrefix` is `{"create":{"_index":"<index>","_id":"`,
   * the id is `idPrefix` followed by the decimal `offset`. No string is made per event.
   */
  beginItemBytes(actionPrefix: Buffer, idPrefix: Buffer, offset: number): void {
    if (this.openedAt === 0) this.openedAt = Date.now();
    this.itemStart = this.length;
    this.put(actionPrefix);
    this.put(idPrefix);
    this.digits(offset);
    this.ensure(4);
    const out = this.buf;
    out[this.length++] = 34;
    out[this.length++] = 125;
    out[this.length++] = 125;
    out[this.length++] = 10;
    this.itemStarts.push(this.itemStart);
    this.docStarts.push(this.length);
  }

  /** Appends a small prepared buffer (a JS loop beats a native copy for a few dozen bytes). */
  put(src: Buffer): void {
    const n = src.length;
    this.ensure(n);
    if (n > 64) {
      this.length += src.copy(this.buf, this.length);
      return;
    }
    const out = this.buf;
    let o = this.length;
    for (let i = 0; i < n; i++) out[o++] = src[i]!;
    this.length = o;
  }

  /** Appends bytes [start, end) of src, looping for short ranges. */
  slice(src: Buffer, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n > 64) {
      this.length += src.copy(this.buf, this.length, start, end);
      return;
    }
    const out = this.buf;
    let o = this.length;
    for (let i = start; i < end; i++) out[o++] = src[i]!;
    this.length = o;
  }

  /** Appends a non-negative integer in decimal without making a string. */
  digits(n: number): void {
    this.ensure(20);
    const out = this.buf;
    if (n < 10) {
      out[this.length++] = 48 + n;
      return;
    }
    let len = 0;
    for (let v = n; v > 0; v = Math.floor(v / 10)) len++;
    let o = this.length + len;
    this.length = o;
    for (let v = n; v > 0; v = Math.floor(v / 10)) out[--o] = 48 + (v % 10);
  }

  /** Ends the current item and records the source position it came from. */
  endItem(target: AckTarget, position: number): void {
    this.byte(10);
    this.itemStart = -1;
    if (target !== this.lastTarget) {
      if (this.lastTarget) this.marks.set(this.lastTarget, this.lastPos);
      this.lastTarget = target;
    }
    this.lastPos = position;
  }

  /** Drops the item being written (e.g. excluded after all). */
  abortItem(): void {
    if (this.itemStart < 0) return;
    this.length = this.itemStart;
    this.itemStarts.pop();
    this.docStarts.pop();
    this.itemStart = -1;
  }

  /** Records a source position without an event (lines consumed but dropped), so checkpoints move on. */
  advance(target: AckTarget, position: number): void {
    if (target !== this.lastTarget) {
      if (this.lastTarget) this.marks.set(this.lastTarget, this.lastPos);
      this.lastTarget = target;
    }
    this.lastPos = position;
  }

  /** Called once the batch is closed: folds the last position into marks. */
  seal(): void {
    if (this.lastTarget) this.marks.set(this.lastTarget, this.lastPos);
    this.lastTarget = undefined;
  }

  /** Appends a one-byte character. */
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }

  /** Appends an ASCII string as is (no escaping). */
  ascii(s: string): void {
    this.ensure(s.length);
    this.length += this.buf.write(s, this.length, 'latin1');
  }

  /** Appends a string as UTF-8 (for JSON text made elsewhere). */
  utf8(s: string): void {
    this.ensure(s.length * 3);
    this.length += this.buf.write(s, this.length, 'utf8');
  }

  /** Appends raw bytes. */
  raw(src: Buffer, start: number, end: number): void {
    this.ensure(end - start);
    this.length += src.copy(this.buf, this.length, start, end);
  }

  /** Appends a decimal number. */
  number(n: number): void {
    this.ascii(String(n));
  }

  /** Appends a JSON string literal (quotes included) of a JS string. */
  jsonString(s: string): void {
    const json = JSON.stringify(s);
    this.ensure(json.length * 3);
    this.length += this.buf.write(json, this.length, 'utf8');
  }

  /**
   * Appends a JSON string literal of UTF-8 bytes, escaping as it copies. Invalid UTF-8 makes it
   * start over through a decoded string (invalid sequences become U+FFFD) and count it.
   */
  jsonBytes(src: Buffer, start: number, end: number): void {
    // Escapes take at most 6 bytes per input byte.
    this.ensure((end - start) * 6 + 2);
    const out = this.buf;
    const begin = this.length;
    let o = begin;
    out[o++] = 34;
    let i = start;
    while (i < end) {
      const c = src[i]!;
      const kind = byteKind[c]!;
      if (kind === 0) {
        out[o++] = c;
        i++;
        continue;
      }
      if (kind === 2) {
        const n = utf8SequenceLength(src, i, end);
        if (n === 0) {
          this.length = begin;
          this.invalidUtf8++;
          this.jsonString(src.toString('utf8', start, end));
          return;
        }
        for (let k = 0; k < n; k++) out[o++] = src[i + k]!;
        i += n;
        continue;
      }
      out[o++] = 92;
      if (c === 34) out[o++] = 34;
      else if (c === 92) out[o++] = 92;
      else if (c === 10) out[o++] = 110;
      else if (c === 13) out[o++] = 114;
      else if (c === 9) out[o++] = 116;
      else {
        out[o++] = 117;
        out[o++] = 48;
        out[o++] = 48;
        out[o++] = hex.charCodeAt(c >> 4);
        out[o++] = hex.charCodeAt(c & 15);
      }
      i++;
    }
    out[o++] = 34;
    this.length = o;
  }

  /** Bytes of item i (action line and document). */
  item(i: number): Buffer {
    return this.buf.subarray(
      this.itemStarts[i],
      i + 1 < this.itemStarts.length ? this.itemStarts[i + 1]! : this.length,
    );
  }

  /** Bytes of the document of item i, without its newline. */
  doc(i: number): Buffer {
    const end = i + 1 < this.itemStarts.length ? this.itemStarts[i + 1]! : this.length;
    return this.buf.subarray(this.docStarts[i], end - 1);
  }

  /** The `_id` of item i, read back from its action line. */
  id(i: number): string {
    return this.action(i).create._id;
  }

  /** The `_index` of item i. */
  index(i: number): string {
    return this.action(i).create._index;
  }

  private action(i: number): { create: { _index: string; _id: string } } {
    return JSON.parse(this.buf.toString('utf8', this.itemStarts[i], this.docStarts[i])) as {
      create: { _index: string; _id: string };
    };
  }

  /** Empties the batch for reuse, keeping its buffer. */
  reset(): void {
    this.length = 0;
    this.itemStarts = [];
    this.docStarts = [];
    this.marks.clear();
    this.openedAt = 0;
    this.invalidUtf8 = 0;
    this.lastTarget = undefined;
    this.itemStart = -1;
  }
}

/** Length of the valid UTF-8 sequence starting at i, or 0 when it is invalid or cut. */
function utf8SequenceLength(src: Buffer, i: number, end: number): number {
  const c = src[i]!;
  if (c >= 0xc2 && c <= 0xdf) {
    return i + 1 < end && (src[i + 1]! & 0xc0) === 0x80 ? 2 : 0;
  }
  if (c >= 0xe0 && c <= 0xef) {
    if (i + 2 >= end) return 0;
    const c1 = src[i + 1]!;
    if ((c1 & 0xc0) !== 0x80 || (src[i + 2]! & 0xc0) !== 0x80) return 0;
    if (c === 0xe0 && c1 < 0xa0) return 0;
    if (c === 0xed && c1 > 0x9f) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (i + 3 >= end) return 0;
    const c1 = src[i + 1]!;
    if ((c1 & 0xc0) !== 0x80 || (src[i + 2]! & 0xc0) !== 0x80 || (src[i + 3]! & 0xc0) !== 0x80) return 0;
    if (c === 0xf0 && c1 < 0x90) return 0;
    if (c === 0xf4 && c1 > 0x8f) return 0;
    return 4;
  }
  return 0;
}
