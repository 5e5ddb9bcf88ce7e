import { z } from 'zod';

/** One toleration of the probe pods (same fields as a pod's spec.tolerations[]). */
const toleration = z.strictObject({
  key: z
    .string()
    .optional()
    .describe('Taint key the toleration matches; empty with operator Exists matches every taint.'),
  operator: z.enum(['Equal', 'Exists']).default('Equal').describe('Equal compares value; Exists matches any value.'),
  value: z.string().optional().describe('Taint value, for operator Equal.'),
  effect: z
    .enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])
    .optional()
    .describe('Taint effect matched; empty matches all effects.'),
});

/** Time bounds of each probe step, in seconds. */
const timeouts = z.strictObject({
  apiSeconds: z.number().positive().default(10).describe('Step "api": /readyz, /version and the permission checks.'),
  namespaceSeconds: z.number().positive().default(15).describe('Step "namespace": create the ephemeral namespace.'),
  writeSeconds: z
    .number()
    .positive()
    .default(15)
    .describe('Step "write": ConfigMap create/get/update/stale update/delete and watch latency.'),
  workloadSeconds: z
    .number()
    .positive()
    .default(45)
    .describe('Step "workload": the Deployment\'s pods all Ready (includes image pulls on a node\'s first run).'),
  serviceSeconds: z
    .number()
    .positive()
    .default(30)
    .describe('Step "service": EndpointSlices list the Ready pods, then follow a scale-down.'),
  inClusterSeconds: z
    .number()
    .positive()
    .default(20)
    .describe('Step "in-cluster": DNS lookup and HTTP GET through the Service.'),
  teardownSeconds: z
    .number()
    .positive()
    .default(60)
    .describe('Step "teardown": delete the namespace and wait until it is gone.'),
  leftoversSeconds: z
    .number()
    .positive()
    .default(15)
    .describe('Step "leftovers": delete namespaces left by crashed runs.'),
});

/** The `prober:` section: how often and how the black-box prober exercises the cluster. */
export const proberSection = z.strictObject({
  intervalSeconds: z
    .number()
    .positive()
    .default(60)
    .describe('Time between the starts of probe runs; jittered by up to 10%.'),
  namespacePrefix: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, 'a DNS-1123 label of at most 32 characters')
    .default('watchkeeper-probe')
    .describe('Prefix of the ephemeral namespace of each run; the run id is appended.'),
  replicas: z
    .number()
    .int()
    .min(2)
    .max(50)
    .default(3)
    .describe('Pods of the probe Deployment; the service step scales to replicas-1.'),
  image: z
    .string()
    .min(1)
    .default('registry.k8s.io/e2e-test-images/agnhost:2.53')
    .describe('Image of the probe pods; it must serve HTTP on `port` (used by readiness and the in-cluster check).'),
  args: z.array(z.string()).default(['netexec', '--http-port=8080']).describe('Arguments of the probe container.'),
  port: z.number().int().min(1).max(65535).default(8080).describe('Container port the probe pods serve HTTP on.'),
  httpPath: z
    .string()
    .startsWith('/')
    .default('/hostname')
    .describe('Path of the readiness probe and of the in-cluster HTTP GET.'),
  nodeSelector: z
    .record(z.string(), z.string())
    .default({})
    .describe('nodeSelector of the probe pods, e.g. to pin them to a node pool.'),
  tolerations: z.array(toleration).default([]).describe('Tolerations of the probe pods.'),
  podStartupSloSeconds: z
    .number()
    .positive()
    .default(5)
    .describe(
      'Pod startup SLO (SIG scalability: p99 <= 5 s for stateless pods, image pull excluded); reported with each run.',
    ),
  failOnPodStartupSlo: z
    .boolean()
    .default(false)
    .describe('Fail the workload step when the slowest pod started slower than the SLO.'),
  inCluster: z
    .enum(['auto', 'on', 'off'])
    .default('auto')
    .describe(
      'In-cluster checks (DNS and HTTP through the Service): auto runs them only when watchkeeper runs in a pod.',
    ),
  leftoverMinAgeSeconds: z
    .number()
    .int()
    .min(0)
    .default(900)
    .describe(
      "Prober namespaces older than this that are not the current run's are deleted as leftovers of crashed runs.",
    ),
  timeouts: timeouts.prefault({}),
});

/** The effective prober settings. */
export type ProberConfig = z.infer<typeof proberSection>;
