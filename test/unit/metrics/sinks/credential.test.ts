import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Credential } from '../../../../collectors/metrics/sinks/credential.ts';
import { OutputError } from '../../../../collectors/metrics/sinks/output-error.ts';

describe('Credential', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wk-credential-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a token file without its trailing newline and again after it is rotated', async () => {
    const file = join(dir, 'token');
    await writeFile(file, 'first-token\n');
    const credential = new Credential('out', undefined, file);
    expect(await credential.read()).toBe('first-token');
    await writeFile(file, 'second-token-longer\n');
    expect(await credential.read()).toBe('second-token-longer');
  });

  it('uses a value as given, and says when there is none', async () => {
    expect(await new Credential('out', 'v').read()).toBe('v');
    expect(new Credential('out').present).toBe(false);
    expect(await new Credential('out').read()).toBe('');
  });

  it('fails an attempt with a retryable credentials error naming the file, not its content', async () => {
    const error = await new Credential('out', undefined, join(dir, 'missing')).read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputError);
    expect(error).toMatchObject({ reason: 'credentials', retryable: true });
    expect((error as Error).message).toBe(`out: cannot read credential file ${join(dir, 'missing')}`);
  });
});
