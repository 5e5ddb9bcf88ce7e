import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

/** Credentials of one kubeconfig user: a bearer token or a client certificate. */
export type KubeconfigUser = { token: string } | { certFile: string; keyFile: string };

/** Writes a single-context kubeconfig file for `server`. */
export async function writeKubeconfig(
  path: string,
  server: string,
  caFile: string,
  user: KubeconfigUser,
  name = 'watchkeeper-test',
): Promise<string> {
  const credentials =
    'token' in user ? { token: user.token } : { 'client-certificate': user.certFile, 'client-key': user.keyFile };
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name, user: credentials }],
      contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
      'current-context': name,
    }),
    { mode: 0o600 },
  );
  return path;
}
