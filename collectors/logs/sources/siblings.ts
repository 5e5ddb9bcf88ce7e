import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isGzip, readFingerprint, stripRotationSuffix } from './identity.ts';

export { stripRotationSuffix } from './identity.ts';

/** A rotated file beside a live path. */
export interface Sibling {
  path: string;
  /** "<dev>:<ino>" */
  key: string;
  ctimeMs: number;
}

/**
 * Rotated files of a live path (`0.log.20240101-120000`, `x.log.1`, their `.gz`), plain ones first;
 * files still being compressed (`.tmp`) are left out.
 */
export async function rotatedSiblings(origin: string): Promise<Sibling[]> {
  const dir = dirname(origin);
  const base = basename(origin);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found: Sibling[] = [];
  for (const name of names) {
    if (name === base || !name.startsWith(base) || name.endsWith('.tmp')) continue;
    const path = join(dir, name);
    if (stripRotationSuffix(path) !== origin) continue;
    const st = await stat(path).catch(() => undefined);
    if (st?.isFile()) found.push({ path, key: `${st.dev}:${st.ino}`, ctimeMs: st.ctimeMs });
  }
  return found.sort((a, b) => Number(isGzip(a.path)) - Number(isGzip(b.path)));
}

/** The rotated file beside `origin` whose first line is `fingerprint` (a copytruncate copy or a compressed generation). */
export async function findByFingerprint(
  origin: string,
  fingerprint: Buffer,
  maxBytes: number,
): Promise<Sibling | undefined> {
  for (const sibling of await rotatedSiblings(origin)) {
    const head = await readFingerprint(sibling.path, maxBytes);
    if (head?.equals(fingerprint)) return sibling;
  }
  return undefined;
}
