import type { Config } from '../../core/config/schema.ts';
import { resolveKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';

/** A Kubernetes client for the configured cluster (kubernetes.kubeconfig and context, else the defaults). */
export async function kubeClientFromConfig(
  config: Config,
  overrides: { kubeconfig?: string | undefined; context?: string | undefined } = {},
): Promise<KubeClient> {
  const kubeconfig = overrides.kubeconfig ?? config.kubernetes.kubeconfig;
  const context = overrides.context ?? config.kubernetes.context;
  return new KubeClient(
    await resolveKubeAccess({ ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}) }),
    { timeoutMs: 60_000 },
  );
}
