import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { compressor, decompressor } from '../../../backup/stream/compression.ts';
import { DecryptStream, EncryptStream, keyId } from '../../../backup/stream/encryption.ts';
import { parseKeyText } from '../../../backup/stream/key.ts';

const key = randomBytes(32);

async function encrypt(data: Buffer, chunkSize = 1024): Promise<Buffer> {
  // Feed in odd-sized pieces so frames do not line up with writes.
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += 777) pieces.push(data.subarray(i, i + 777));
  return buffer(Readable.from(pieces).pipe(new EncryptStream(key, chunkSize)));
}

async function decrypt(data: Buffer, withKey = key): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from([data]), new DecryptStream(withKey), async function* (source) {
    for await (const c of source) out.push(c as Buffer);
  });
  return Buffer.concat(out);
}

describe('WKBKENC2 encryption', () => {
  it('round-trips empty, exact-multiple and ragged inputs', async () => {
    for (const size of [0, 1, 1024, 4096, 10_000]) {
      const data = randomBytes(size);
      const sealed = await encrypt(data);
      expect(sealed.subarray(0, 8).toString()).toBe('WKBKENC2');
      expect((await decrypt(sealed)).equals(data)).toBe(true);
    }
  });

  it('detects a flipped bit anywhere in the ciphertext', async () => {
    const sealed = await encrypt(randomBytes(5000));
    for (const offset of [60, 1100, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[offset]! ^= 1;
      await expect(decrypt(bad)).rejects.toThrow(/modified or is corrupted|corrupted/);
    }
  });

  it('detects truncation at a frame boundary and inside a frame', async () => {
    const sealed = await encrypt(randomBytes(5000));
    const frame = 5 + 1024 + 16;
    await expect(decrypt(sealed.subarray(0, 52 + 2 * frame))).rejects.toThrow(/final frame is missing/);
    await expect(decrypt(sealed.subarray(0, sealed.length - 3))).rejects.toThrow(/truncated/);
    await expect(decrypt(sealed.subarray(0, 20))).rejects.toThrow(/header is incomplete/);
  });

  it('detects reordered frames and appended data', async () => {
    const sealed = await encrypt(randomBytes(3000));
    const frame = 5 + 1024 + 16;
    const header = sealed.subarray(0, 52);
    const f0 = sealed.subarray(52, 52 + frame);
    const f1 = sealed.subarray(52 + frame, 52 + 2 * frame);
    const rest = sealed.subarray(52 + 2 * frame);
    await expect(decrypt(Buffer.concat([header, f1, f0, rest]))).rejects.toThrow(/fails authentication/);
    await expect(decrypt(Buffer.concat([sealed, Buffer.from('x')]))).rejects.toThrow(/after its final frame/);
  });

  it('names the wrong key by id', async () => {
    const other = randomBytes(32);
    const sealed = await encrypt(randomBytes(100));
    await expect(decrypt(sealed, other)).rejects.toThrow(
      `encrypted with key id ${keyId(key)}, the given key has id ${keyId(other)}`,
    );
  });

  it('composes with zstd and gzip', async () => {
    const data = Buffer.from('etcd '.repeat(50_000));
    for (const algorithm of ['zstd', 'gzip', 'none'] as const) {
      const stored = await buffer(Readable.from([data]).pipe(compressor(algorithm)).pipe(new EncryptStream(key)));
      if (algorithm !== 'none') expect(stored.length).toBeLessThan(data.length / 10);
      const back = await buffer(Readable.from([stored]).pipe(new DecryptStream(key)).pipe(decompressor(algorithm)));
      expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });
});

describe('parseKeyText', () => {
  it('accepts hex and base64 of 32 bytes and rejects anything else', () => {
    expect(parseKeyText(key.toString('hex'), 'x').equals(key)).toBe(true);
    expect(parseKeyText(`${key.toString('base64')}\n`, 'x').equals(key)).toBe(true);
    expect(() => parseKeyText('abcd', 'env FOO')).toThrow(/env FOO: expected a 32-byte key/);
  });
});
