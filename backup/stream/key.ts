import { open } from 'node:fs/promises';
import { WatchkeeperError } from '../../core/errors.ts';

/** Where the encryption key comes from (`backup.encryption`). */
export interface KeySource {
  keyFile?: string | undefined;
  keyEnv: string;
}

/**
 * Reads the 32-byte backup encryption key from the key file, else from the environment
 * variable. A file may hold the raw 32 bytes, 64 hex characters or base64; a variable hex or
 * base64. Returns undefined when neither is set. A key file others can access is refused (see
 * {@link checkKeyFileMode}).
 */
export async function loadKey(source: KeySource, env: NodeJS.ProcessEnv = process.env): Promise<Buffer | undefined> {
  if (source.keyFile !== undefined) {
    let content: Buffer;
    let handle;
    try {
      handle = await open(source.keyFile, 'r');
    } catch (error) {
      throw new WatchkeeperError(
        'usage',
        `encryption key file ${source.keyFile}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
    try {
      // The mode of the file actually opened, not of whatever the path names a moment later.
      const info = await handle.stat();
      checkKeyFileMode(source.keyFile, info.mode, info.gid);
      content = await handle.readFile();
    } finally {
      await handle.close();
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
  throw new WatchkeeperError(
    'usage',
    `${origin}: expected a 32-byte key as 64 hex characters or base64 (e.g. from \`openssl rand -hex 32\`)`,
  );
}

/**
 * Refuses a key file that users other than its owner can read or write: any permission for
 * "others", or any for a group this process is not itself in. A group this process is in is
 * accepted: that is how Kubernetes gives a non-root pod a Secret (fsGroup makes the file 0440,
 * group-owned by the pod's fsGroup). Like ssh with private keys, refusing is safer than warning:
 * a warning in a daemon's log is read after the key has leaked.
 */
export function checkKeyFileMode(
  file: string,
  mode: number,
  gid: number,
  groups: readonly number[] = ownGroups(),
): void {
  const others = mode & 0o007;
  const group = mode & 0o070;
  if (others !== 0 || (group !== 0 && !groups.includes(gid))) {
    const who = others !== 0 ? 'other users' : `group ${gid}`;
    const octal = (mode & 0o777).toString(8).padStart(3, '0');
    throw new WatchkeeperError(
      'usage',
      `encryption key file ${file} is accessible to ${who} (mode ${octal}): make it readable by its owner only, e.g. chmod 600 ${file}`,
    );
  }
}

function ownGroups(): number[] {
  return [...new Set([process.getgid?.() ?? -1, ...(process.getgroups?.() ?? [])])];
}
