import { describe, expect, it } from 'vitest';
import { AckTarget } from '../../../collectors/logs/pipeline/ack.ts';
import { Batch } from '../../../collectors/logs/pipeline/batch.ts';

function encode(input: Buffer): { json: string; invalid: number } {
  const b = new Batch(16);
  b.jsonBytes(input, 0, input.length);
  return { json: b.buf.toString('utf8', 0, b.length), invalid: b.invalidUtf8 };
}

describe('Batch.jsonBytes', () => {
  it.each([
    ['plain', 'hello world'],
    ['quotes and backslashes', 'say "hi" \\ there'],
    ['control characters', 'a\tb\rc\u0001d\u001fe\u0000'],
    ['multi-byte UTF-8', 'café ✓ 𝄞 日本'],
    ['empty', ''],
  ])('escapes %s exactly as JSON.stringify', (_name, text) => {
    const { json, invalid } = encode(Buffer.from(text, 'utf8'));
    expect(json).toBe(JSON.stringify(text));
    expect(invalid).toBe(0);
    expect(JSON.parse(json)).toBe(text);
  });

  it.each([
    ['lone continuation byte', Buffer.from([0x61, 0x80, 0x62])],
    ['cut sequence at the end', Buffer.from([0x61, 0xe2, 0x9c])],
    ['overlong encoding', Buffer.from([0xc0, 0xaf])],
    ['surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
  ])('replaces invalid UTF-8 (%s) and counts it', (_name, bytes) => {
    const { json, invalid } = encode(bytes);
    expect(invalid).toBe(1);
    expect(JSON.parse(json)).toBe(bytes.toString('utf8'));
  });

  it('keeps item boundaries, ids and indices for per-item retries', () => {
    const b = new Batch(8);
    const t = new AckTarget(0);
    for (let i = 0; i < 3; i++) {
      b.beginItem(`idx-${i}`, `id-${i}`);
      b.ascii(`{"n":${i}}`);
      b.endItem(t, (i + 1) * 10);
    }
    b.seal();
    expect(b.count).toBe(3);
    expect(b.item(1).toString()).toBe('{"create":{"_index":"idx-1","_id":"id-1"}}\n{"n":1}\n');
    expect(b.doc(2).toString()).toBe('{"n":2}');
    expect([b.id(0), b.index(2)]).toEqual(['id-0', 'idx-2']);
    expect(b.marks.get(t)).toBe(30);
  });
});

describe('AckTarget', () => {
  it('moves only over the prefix of delivered positions, whatever order batches finish in', () => {
    const moved: number[] = [];
    const t = new AckTarget(0, (p) => moved.push(p));
    const a = t.hold(10);
    const b = t.hold(20);
    const c = t.hold(30);
    t.settle(b);
    expect(t.acknowledged).toBe(0);
    t.settle(c);
    expect(t.acknowledged).toBe(0);
    t.settle(a);
    expect(t.acknowledged).toBe(30);
    expect(moved).toEqual([30]);
    expect(t.inFlight).toBe(0);
  });
});
