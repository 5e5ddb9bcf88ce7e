import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { explicitKubeAccess, resolveKubeAccess } from '../../../core/kube/access.ts';
import { RotatingClientCert } from '../../../core/kube/rotating-cert.ts';

const dir = mkdtempSync(join(tmpdir(), 'wk-kube-security-'));

function kubeconfig(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://k8s.example:6443', ...cluster } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  return file;
}

/** A self-signed certificate and its key, made by openssl. */
function certPair(name: string, cn: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

describe('kubeconfig TLS settings that client-go refuses', () => {
  it('refuses insecure-skip-tls-verify together with a CA, in a kubeconfig and in explicit access', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    for (const ca of [
      { 'certificate-authority': join(dir, 'ca.crt') },
      { 'certificate-authority-data': Buffer.from('CA').toString('base64') },
    ]) {
      const file = kubeconfig('both.yaml', { 'insecure-skip-tls-verify': true, ...ca }, { token: 't' });
      await expect(resolveKubeAccess({ kubeconfig: file })).rejects.toThrow(
        /specifying a root certificates file with the insecure flag is not allowed/,
      );
    }
    expect(() =>
      explicitKubeAccess({ server: 'https://x', caFile: join(dir, 'ca.crt'), insecureSkipTlsVerify: true }),
    ).toThrow(/insecure flag is not allowed/);
  });
});

describe('exec credential plugins', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("get only a minimal environment plus what the kubeconfig names, never watchkeeper's credentials", async () => {
    const plugin = join(dir, 'plugin.mjs');
    writeFileSync(
      plugin,
      `#!${process.execPath}
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential',
  status: { token: Object.keys(process.env).sort().join(',') } }));
`,
    );
    chmodSync(plugin, 0o755);
    Object.assign(process.env, {
      WATCHKEEPER_BACKUP_KEY: 'secret',
      AWS_SECRET_ACCESS_KEY: 'secret',
      WATCHKEEPER_CFG__logs__elasticsearch__password: 'secret',
    });
    const file = kubeconfig(
      'exec.yaml',
      {},
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: plugin,
          env: [{ name: 'AWS_PROFILE', value: 'prod' }],
        },
      },
    );
    const access = await resolveKubeAccess({ kubeconfig: file });
    const seen = (await access.authHeaders()).authorization!.replace('Bearer ', '').split(',');
    expect(seen).toContain('AWS_PROFILE');
    expect(seen).toContain('KUBERNETES_EXEC_INFO');
    expect(seen).toContain('PATH');
    expect(seen.filter((name) => /SECRET|WATCHKEEPER|KEY$/.test(name))).toEqual([]);
  });
});

describe('client certificate files', () => {
  it('are read again when they rotate, and a half-written pair is not taken', () => {
    const first = certPair('first', 'first');
    const second = certPair('second', 'second');
    const live = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
    const copy = (from: { certFile: string; keyFile: string }): void => {
      execFileSync('cp', [from.certFile, live.certFile]);
      execFileSync('cp', [from.keyFile, live.keyFile]);
    };
    copy(first);
    const rotating = new RotatingClientCert(live.certFile, live.keyFile, {
      cert: Buffer.from('initial'),
      key: Buffer.from('initial'),
    });
    const initial = rotating.current();
    expect(rotating.current()).toBe(initial);
    // Only the certificate written so far: it does not match the key on disk, so the old pair stays.
    execFileSync('cp', [second.certFile, live.certFile]);
    expect(rotating.current()).toBe(initial);
    execFileSync('cp', [second.keyFile, live.keyFile]);
    const rotated = rotating.current();
    expect(rotated.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(rotated.key.toString()).toBe(execFileSync('cat', [second.keyFile]).toString());
  });
});
