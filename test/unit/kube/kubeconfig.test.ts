import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { resolveKubeAccess } from '../../../core/kube/access.ts';
import { loadKubeconfigs, resolveContext } from '../../../core/kube/kubeconfig.ts';

let dir: string;

async function kubeconfig(name: string, doc: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, stringify(doc));
  return path;
}

function single(
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = { server: 'https://k8s.example:6443/' },
): Record<string, unknown> {
  return {
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'team' } }],
    'current-context': 'ctx',
  };
}

describe('kubeconfig loading', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeconfig-test-'));
    await mkdir(join(dir, 'pki'));
    await writeFile(join(dir, 'pki', 'ca.crt'), 'CA PEM');
    await writeFile(join(dir, 'pki', 'client.crt'), 'CERT PEM');
    await writeFile(join(dir, 'pki', 'client.key'), 'KEY PEM');
  });

  it('resolves relative certificate paths against the kubeconfig file, and inline data', async () => {
    const file = await kubeconfig(
      'relative.yaml',
      single(
        { 'client-certificate': 'pki/client.crt', 'client-key-data': Buffer.from('INLINE KEY').toString('base64') },
        { server: 'https://k8s.example:6443/', 'certificate-authority': 'pki/ca.crt', 'tls-server-name': 'kubernetes' },
      ),
    );
    const ctx = resolveContext(loadKubeconfigs([file]));
    expect(ctx.server).toBe('https://k8s.example:6443');
    expect(ctx.ca?.toString()).toBe('CA PEM');
    expect(ctx.cert?.toString()).toBe('CERT PEM');
    expect(ctx.key?.toString()).toBe('INLINE KEY');
    expect(ctx.tlsServerName).toBe('kubernetes');
    expect(ctx.namespace).toBe('team');
  });

  it('merges several files: the first file that defines a name or current-context wins', async () => {
    const first = await kubeconfig('first.yaml', { ...single({ token: 'first' }), 'current-context': 'ctx' });
    const second = await kubeconfig('second.yaml', {
      ...single({ token: 'second' }),
      contexts: [
        { name: 'ctx', context: { cluster: 'c', user: 'u' } },
        { name: 'other', context: { cluster: 'c', user: 'u' } },
      ],
      'current-context': 'other',
    });
    const merged = loadKubeconfigs([first, second]);
    expect(merged.currentContext).toBe('ctx');
    expect(resolveContext(merged).token).toBe('first');
    expect(resolveContext(merged, 'other').contextName).toBe('other');
  });

  it('sends basic auth for username and password', async () => {
    const access = await resolveKubeAccess({
      kubeconfig: await kubeconfig('basic.yaml', single({ username: 'admin', password: 'pw' })),
    });
    expect(await access.authHeaders()).toEqual({
      authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}`,
    });
  });

  it('runs an exec credential plugin with KUBERNETES_EXEC_INFO and caches its token until it expires', async () => {
    const plugin = join(dir, 'plugin.sh');
    const calls = join(dir, 'plugin-calls');
    await writeFile(
      plugin,
      `#!/bin/sh\necho x >> ${calls}\necho "$KUBERNETES_EXEC_INFO" > ${join(dir, 'exec-info.json')}\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s","expirationTimestamp":"2999-01-01T00:00:00Z"}}' "$1"\n`,
    );
    await chmod(plugin, 0o755);
    const access = await resolveKubeAccess({
      kubeconfig: await kubeconfig(
        'exec.yaml',
        single({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, args: ['abc'] } }),
      ),
    });
    expect(await access.authHeaders()).toEqual({ authorization: 'Bearer tok-abc' });
    expect(await access.authHeaders()).toEqual({ authorization: 'Bearer tok-abc' });
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(await readFile(join(dir, 'exec-info.json'), 'utf8'))).toMatchObject({
      kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: 'https://k8s.example:6443' } },
    });
    access.invalidate();
    await access.authHeaders();
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('names what is wrong: failing exec plugin, auth-provider, undefined user, missing current-context', async () => {
    await expect(
      resolveKubeAccess({
        kubeconfig: await kubeconfig(
          'bad-exec.yaml',
          single({ exec: { apiVersion: 'v1', command: '/nonexistent/plugin' } }),
        ),
      }),
    ).rejects.toThrow('kubeconfig exec plugin /nonexistent/plugin failed');
    await expect(
      resolveKubeAccess({
        kubeconfig: await kubeconfig('provider.yaml', single({ 'auth-provider': { name: 'gcp' } })),
      }),
    ).rejects.toThrow(
      'uses the auth-provider "gcp", which watchkeeper does not support: use an exec plugin or a token',
    );
    const noUser = await kubeconfig('no-user.yaml', { ...single({ token: 't' }), users: [] });
    await expect(resolveKubeAccess({ kubeconfig: noUser })).rejects.toThrow(
      'context "ctx" names user "u", which is not defined',
    );
    const noCurrent = await kubeconfig('no-current.yaml', { ...single({ token: 't' }), 'current-context': '' });
    await expect(resolveKubeAccess({ kubeconfig: noCurrent })).rejects.toThrow('no current-context');
    await writeFile(join(dir, 'broken.yaml'), 'clusters: [\n');
    await expect(resolveKubeAccess({ kubeconfig: join(dir, 'broken.yaml') })).rejects.toThrow(
      /kubeconfig .*broken.yaml: cannot be loaded/,
    );
  });
});
