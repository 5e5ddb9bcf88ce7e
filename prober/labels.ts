/** Label on every namespace the prober creates; the leftover collector selects on it. */
export const proberLabel = 'watchkeeper.io/prober';

/** Label holding the run id. */
export const runIdLabel = 'watchkeeper.io/probe-run';

/** Name of the probe Deployment and Service, and value of their `app` label. */
export const workloadName = 'probe-web';

/** Name of the ConfigMap of the write step. */
export const configMapName = 'probe-write';
