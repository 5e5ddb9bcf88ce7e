import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKeyFileMode, loadKey } from '../../../backup/stream/key.ts';

let dir: string;
const key = randomBytes(32);
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wk-key-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keyFile(name: string, mode: number): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, key.toString('hex'));
  await chmod(file, mode);
  return file;
}

describe('backup key file permissions', () => {
  it('reads a key file only its owner can access', async () => {
    expect((await loadKey({ keyFile: await keyFile('owner.key', 0o600), keyEnv: 'UNSET' }, {}))?.equals(key)).toBe(
      true,
    );
    expect((await loadKey({ keyFile: await keyFile('readonly.key', 0o400), keyEnv: 'UNSET' }, {}))?.equals(key)).toBe(
      true,
    );
  });

  it('refuses a key file others can read or write, naming the file and the fix', async () => {
    for (const [name, mode] of [
      ['world.key', 0o644],
      ['world-write.key', 0o602],
    ] as const) {
      const file = await keyFile(name, mode);
      await expect(loadKey({ keyFile: file, keyEnv: 'UNSET' }, {})).rejects.toThrow(
        `encryption key file ${file} is accessible to other users (mode ${mode.toString(8)}): make it readable by its owner only, e.g. chmod 600 ${file}`,
      );
    }
  });

  it('accepts a group-readable file only when the group is one this process is in (a Kubernetes fsGroup)', async () => {
    const file = await keyFile('group.key', 0o440);
    const ownGroup = process.getgid!();
    expect((await loadKey({ keyFile: file, keyEnv: 'UNSET' }, {}))?.equals(key)).toBe(true);
    const foreign = ownGroup + 4242;
    expect(() => checkKeyFileMode(file, 0o100440, foreign, [ownGroup])).toThrow(
      `is accessible to group ${foreign} (mode 440)`,
    );
    if (process.getuid!() === 0) {
      await chown(file, 0, foreign);
      await expect(loadKey({ keyFile: file, keyEnv: 'UNSET' }, {})).rejects.toThrow(
        `is accessible to group ${foreign}`,
      );
    }
  });
});
