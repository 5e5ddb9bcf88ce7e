import { createHash } from 'node:crypto';

/**
 * Prometheus' hashmod: the MD5 of the value, its last 8 bytes read as a big-endian unsigned 64-bit integer,
 * modulo `modulus` (model/relabel: `binary.BigEndian.Uint64(md5(val)[8:]) % modulus`). Shards by hashmod
 * therefore agree with a Prometheus sharded by the same rule.
 */
export function hashMod(value: string, modulus: number | bigint): bigint {
  const digest = createHash('md5').update(value, 'utf8').digest();
  return digest.readBigUInt64BE(8) % BigInt(modulus);
}
