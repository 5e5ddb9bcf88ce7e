import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { GcPacer } from '../../../backup/stream/gc-pacer.ts';

describe('GcPacer', () => {
  it('passes every byte through unchanged and in order, across many collection points', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += 100_000) chunks.push(data.subarray(i, i + 100_000));
    const out: Buffer[] = [];
    await pipeline(
      Readable.from(chunks),
      new GcPacer(256 * 1024),
      new Writable({
        write(c: Buffer, _e, done) {
          out.push(c);
          done();
        },
      }),
    );
    expect(Buffer.concat(out).equals(data)).toBe(true);
  });
});
