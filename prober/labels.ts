/** Label on every namespace the prober creates; the leftover collector selects on it. */
export const proberLabel = 'watchkeeper.io/prober';

/** Label holding the run id. */
export const runIdLabel = 'watchkeeper.io/probe-run';

/** Name of the probe Deployment and Service, and value of their `app` label. */
export const workloadName = 'probe-web';

/** Name of the ConfigMap of the write step. */
export const configMapName = 'probe-write';

/**
 * Pod Security Admission level of every prober namespace: the probe pods meet "restricted", and the
 * admission policy in deploy/ refuses a prober namespace without it, so a stolen prober token
 * cannot run privileged pods there.
 */
export const podSecurityLabels = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
} as const;
