import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { EtcdTrailerCheck } from '../../../backup/etcd/snapshot-stream.ts';

function snapshot(db: Buffer): Buffer {
  return Buffer.concat([db, createHash('sha256').update(db).digest()]);
}

async function check(data: Buffer, pieces = 7): Promise<{ check: EtcdTrailerCheck; out: Buffer }> {
  const chunks: Buffer[] = [];
  const step = Math.max(1, Math.ceil(data.length / pieces));
  for (let i = 0; i < data.length; i += step) chunks.push(data.subarray(i, i + step));
  const trailer = new EtcdTrailerCheck();
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    trailer,
    new Writable({
      write(c: Buffer, _e, done) {
        out.push(c);
        done();
      },
    }),
  );
  return { check: trailer, out: Buffer.concat(out) };
}

describe('EtcdTrailerCheck', () => {
  it('passes a snapshot through unchanged, trailer included, and reports the db hash', async () => {
    const db = randomBytes(100_000);
    const data = snapshot(db);
    for (const pieces of [1, 3, 3125, 5000, 100_032]) {
      const { check: c, out } = await check(data, pieces);
      expect(out.equals(data)).toBe(true);
      expect(c.dbBytes).toBe(db.length);
      expect(c.sha256()).toBe(createHash('sha256').update(db).digest('hex'));
      expect(c.contentBytes).toBe(data.length);
      expect(c.contentSha256()).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  it('fails when one byte of the database changed', async () => {
    const data = snapshot(randomBytes(5000));
    data[1234]! ^= 0xff;
    await expect(check(data)).rejects.toThrow(/etcd snapshot is corrupted/);
  });

  it('fails when the stream is cut', async () => {
    const data = snapshot(randomBytes(5000));
    await expect(check(data.subarray(0, 4000))).rejects.toThrow(/corrupted/);
    await expect(check(data.subarray(0, 20))).rejects.toThrow(/too short/);
  });
});
