import { readFile } from 'node:fs/promises';
import { WatchkeeperError } from '../../core/errors.ts';

/** Where the encryption key comes from (`backup.encryption`). */
export interface KeySource {
  keyFile?: string | undefined;
  keyEnv: string;
}

/**
 * Reads the 32-byte backup encryption key from the key file, else from the environment
 * variable. A file may hold the raw 32 bytes, 64 hex characters or base64; a variable hex or
 * base64. Returns undefined when neither is set.
 */
export async function loadKey(source: KeySource, env: NodeJS.ProcessEnv = process.env): Promise<Buffer | undefined> {
  if (source.keyFile !== undefined) {
    let content: Buffer;
    try {
      content = await readFile(source.keyFile);
    } catch (error) {
      throw new WatchkeeperError('usage', `encryption key file ${source.keyFile}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    if (content.length === 32) return content;
    return parseKeyText(content.toString('utf8'), `encryption key file ${source.keyFile}`);
  }
  const value = env[source.keyEnv];
  if (value === undefined || value === '') return undefined;
  return parseKeyText(value, `environment variable ${source.keyEnv}`);
}

/** Parses a key written as 64 hex characters or as base64 of 32 bytes. */
export function parseKeyText(text: string, origin: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, 'base64');
    if (decoded.length === 32) return decoded;
  }
  throw new WatchkeeperError('usage', `${origin}: expected a 32-byte key as 64 hex characters or base64 (e.g. from \`openssl rand -hex 32\`)`);
}
