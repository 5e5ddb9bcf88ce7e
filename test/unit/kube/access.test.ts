import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explicitKubeAccess, resolveKubeAccess } from '../../../core/kube/access.ts';

function kubeconfig(
  dir: string,
  file: string,
  opts: { server: string; token: string; context?: string; namespace?: string },
): string {
  const ctx = opts.context ?? 'ctx';
  const path = join(dir, file);
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
current-context: ${ctx}
clusters:
- name: c-${ctx}
  cluster: { server: "${opts.server}", insecure-skip-tls-verify: true }
users:
- name: u-${ctx}
  user: { token: ${opts.token} }
contexts:
- name: ${ctx}
  context: { cluster: c-${ctx}, user: u-${ctx}${opts.namespace ? `, namespace: ${opts.namespace}` : ''} }
`,
  );
  return path;
}

describe('resolveKubeAccess', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wk-kube-access-'));
  const explicit = kubeconfig(dir, 'explicit.yaml', {
    server: 'https://explicit:6443/',
    token: 'tok-explicit',
    namespace: 'team-a',
  });
  const fromEnv = kubeconfig(dir, 'env.yaml', { server: 'https://env:6443', token: 'tok-env', context: 'envctx' });
  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  kubeconfig(join(home, '.kube'), 'config', { server: 'https://home:6443', token: 'tok-home' });
  const sa = join(dir, 'sa');
  mkdirSync(sa);
  writeFileSync(join(sa, 'token'), 'tok-sa\n');
  writeFileSync(join(sa, 'namespace'), 'watchkeeper');
  writeFileSync(join(sa, 'ca.crt'), '-----BEGIN CERTIFICATE-----\n');
  const inCluster = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

  it('prefers the explicit kubeconfig over everything else', async () => {
    const access = await resolveKubeAccess({
      kubeconfig: explicit,
      env: { KUBECONFIG: fromEnv, ...inCluster },
      serviceAccountDir: sa,
      homeDir: home,
    });
    expect(access.source).toBe('kubeconfig');
    expect(access.server).toBe('https://explicit:6443');
    expect(access.namespace).toBe('team-a');
    expect(access.tls.rejectUnauthorized).toBe(false);
    expect(await access.authHeaders()).toEqual({ authorization: 'Bearer tok-explicit' });
    expect(access.description).not.toContain('tok-explicit');
  });

  it('uses $KUBECONFIG before the service account and ~/.kube/config', async () => {
    const access = await resolveKubeAccess({
      env: { KUBECONFIG: `${join(dir, 'missing.yaml')}:${fromEnv}`, ...inCluster },
      serviceAccountDir: sa,
      homeDir: home,
    });
    expect(access.source).toBe('KUBECONFIG');
    expect(access.server).toBe('https://env:6443');
    expect(access.namespace).toBe('default');
  });

  it('uses the in-cluster service account before ~/.kube/config', async () => {
    const access = await resolveKubeAccess({ env: inCluster, serviceAccountDir: sa, homeDir: home });
    expect(access.source).toBe('in-cluster');
    expect(access.server).toBe('https://10.96.0.1:443');
    expect(access.namespace).toBe('watchkeeper');
    expect(await access.authHeaders()).toEqual({ authorization: 'Bearer tok-sa' });
  });

  it('re-reads a rotated service account token after invalidate()', async () => {
    const access = await resolveKubeAccess({ env: inCluster, serviceAccountDir: sa, homeDir: home });
    expect(await access.authHeaders()).toEqual({ authorization: 'Bearer tok-sa' });
    writeFileSync(join(sa, 'token'), 'tok-rotated');
    access.invalidate();
    expect(await access.authHeaders()).toEqual({ authorization: 'Bearer tok-rotated' });
    writeFileSync(join(sa, 'token'), 'tok-sa\n');
  });

  it('falls back to ~/.kube/config', async () => {
    const access = await resolveKubeAccess({ env: {}, serviceAccountDir: join(dir, 'no-sa'), homeDir: home });
    expect(access.source).toBe('home-kubeconfig');
    expect(access.server).toBe('https://home:6443');
  });

  it('says what to do when nothing is found', async () => {
    await expect(
      resolveKubeAccess({ env: {}, serviceAccountDir: join(dir, 'no-sa'), homeDir: join(dir, 'nohome') }),
    ).rejects.toThrow(/no Kubernetes credentials found/);
  });

  it('rejects an unknown context and names the ones that exist', async () => {
    await expect(resolveKubeAccess({ kubeconfig: explicit, context: 'nope' })).rejects.toThrow(
      /context "nope" not found \(has: ctx\)/,
    );
  });

  it('selects a named context', async () => {
    const access = await resolveKubeAccess({ kubeconfig: explicit, context: 'ctx' });
    expect(access.description).toContain('context ctx');
  });
});

describe('explicitKubeAccess', () => {
  it('sends a bearer token and keeps the server without trailing slash', async () => {
    const access = explicitKubeAccess({ server: 'https://api:6443/', token: 'abc', insecureSkipTlsVerify: true });
    expect(access.server).toBe('https://api:6443');
    expect(await access.authHeaders()).toEqual({ authorization: 'Bearer abc' });
    expect(access.description).toBe('https://api:6443 with bearer token');
  });
});
