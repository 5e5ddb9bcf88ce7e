import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../env/index.ts';

const run = promisify(execFile);

describe('test env: etcd', () => {
  let etcd: EtcdServer;
  let tlsEtcd: EtcdServer;
  let scratch: string;

  beforeAll(async () => {
    [etcd, tlsEtcd] = await Promise.all([
      startEtcd(),
      startEtcd({ tls: true, auth: { user: 'root', password: 'secret-pw' } }),
    ]);
    scratch = await mkdtemp(join(tmpdir(), 'env-etcd-test-'));
  });
  afterAll(async () => {
    await Promise.all([etcd?.stop(), tlsEtcd?.stop()]);
    await rm(scratch, { recursive: true, force: true });
  });

  it('takes a snapshot with etcdctl and restores it with etcdutl into a server that has every key', async () => {
    for (let i = 0; i < 20; i++) await etcd.etcdctl(['put', `/registry/test/key-${i}`, `value-${i}`]);
    const snapshot = join(scratch, 'snap.db');
    await etcd.etcdctl(['snapshot', 'save', snapshot]);
    const restoredDir = join(scratch, 'restored');
    await run(join(etcd.binDir, 'etcdutl'), ['snapshot', 'restore', snapshot, `--data-dir=${restoredDir}`]);
    expect(existsSync(join(restoredDir, 'member'))).toBe(true);
    const restored = await startEtcd({ dataDir: restoredDir });
    try {
      const out = await restored.etcdctl(['get', '--prefix', '/registry/test/', '--keys-only']);
      expect(out.split('\n').filter(Boolean)).toHaveLength(20);
      expect(await restored.etcdctl(['get', '/registry/test/key-7', '--print-value-only'])).toBe('value-7\n');
    } finally {
      await restored.stop();
    }
  });

  it('serves clients over TLS with client certificates and user auth', async () => {
    expect(tlsEtcd.endpoints[0]).toMatch(/^https:/);
    await tlsEtcd.etcdctl(['put', 'k', 'v']);
    expect(await tlsEtcd.etcdctl(['get', 'k', '--print-value-only'])).toBe('v\n');
    // Without the client certificate the server refuses the connection.
    await expect(
      run(join(tlsEtcd.binDir, 'etcdctl'), [
        `--endpoints=${tlsEtcd.endpoints[0]}`,
        `--cacert=${tlsEtcd.tls!.caFile}`,
        '--user=root:secret-pw',
        '--dial-timeout=2s',
        '--command-timeout=3s',
        'get',
        'k',
      ]),
    ).rejects.toThrow();
  });
});
