import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, openVerified } from '../../../collectors/logs/sources/identity.ts';

// A generation found by name must be opened only if the file still holds it: logrotate compresses
// `x.1` away and copies the live file to a new `x.1` between a look at the name and the open. The
// full-size torture stored a whole generation under the previous generation's ids that way.

const line = (n: number): string =>
  `2026-01-02T03:04:05.${String(n).padStart(9, '0')}Z stdout F m-${n} ${'x'.repeat(60)}\n`;

async function readAll(path: string, fingerprint: Buffer): Promise<string | undefined> {
  const reader = await openVerified(path, fingerprint);
  if (!reader) return undefined;
  const buf = Buffer.alloc(64 * 1024);
  let got = 0;
  for (;;) {
    const n = await reader.read(buf, got, buf.length - got, got);
    if (n === 0) break;
    got += n;
  }
  await reader.close();
  return buf.toString('utf8', 0, got);
}

describe('openVerified', () => {
  for (const gzip of [false, true]) {
    it(`opens a ${gzip ? 'compressed' : 'plain'} file holding the generation and reads it from its start`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wk-id-'));
      const text = line(1) + line(2);
      const path = join(dir, gzip ? 'x.log.2.gz' : 'x.log.1');
      writeFileSync(path, gzip ? gzipSync(text) : text);
      const fingerprint = fingerprintOf(Buffer.from(text), text.length, 256)!;
      expect(await readAll(path, fingerprint)).toBe(text);
    });

    it(`refuses a ${gzip ? 'compressed' : 'plain'} file the rotation replaced by another generation`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wk-id-'));
      const path = join(dir, gzip ? 'x.log.2.gz' : 'x.log.1');
      const old = line(1) + line(2);
      writeFileSync(path, gzip ? gzipSync(old) : old);
      const fingerprint = fingerprintOf(Buffer.from(old), old.length, 256)!;
      // Between the look and the open: another generation now has the name.
      const next = line(3) + line(4);
      writeFileSync(`${path}.new`, gzip ? gzipSync(next) : next);
      renameSync(`${path}.new`, path);
      expect(await readAll(path, fingerprint)).toBeUndefined();
    });
  }

  it('refuses a file that is gone or damaged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-id-'));
    const fingerprint = Buffer.from(line(1));
    expect(await openVerified(join(dir, 'missing.log.1'), fingerprint)).toBeUndefined();
    writeFileSync(join(dir, 'x.log.2.gz'), gzipSync(line(1) + line(2)).subarray(0, 12));
    expect(await openVerified(join(dir, 'x.log.2.gz'), fingerprint)).toBeUndefined();
  });
});
