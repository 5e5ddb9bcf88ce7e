import { z } from 'zod';

/** What a Kubernetes discovery job finds. */
export const kubernetesRoles = [
  'node',
  'pod',
  'service',
  'apiserver',
  'etcd',
  'kube-scheduler',
  'kube-controller-manager',
] as const;

/** One Kubernetes discovery role. */
export type KubernetesRole = (typeof kubernetesRoles)[number];

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/, 'expected host:port');

/**
 * `kubernetes:` of a metrics job: where its targets come from in the cluster. The scrape settings (interval,
 * TLS, token, ...) are the job's own; relabel_configs then apply to the targets found here.
 */
export const kubernetesDiscoverySchema = z.strictObject({
  role: z
    .enum(kubernetesRoles)
    .describe(
      'node: every kubelet (https 10250, directly); pod: annotated pods; service: endpoints of annotated ' +
        'services; apiserver: endpoints of the kubernetes service; etcd, kube-scheduler, kube-controller-manager: ' +
        'static pods in kube-system labelled component=<name>, or `addresses`.',
    ),
  metricsPath: z
    .string()
    .startsWith('/')
    .optional()
    .describe(
      'Path to scrape (node role: /metrics, /metrics/cadvisor or /metrics/resource). Default /metrics; ' +
        'annotations win for pods and services.',
    ),
  scheme: z
    .enum(['http', 'https'])
    .optional()
    .describe('Scheme when nothing else says: https for node and control-plane roles, http for pods and services.'),
  port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe(
      "Port instead of the role's own (kubelet endpoint port, etcd 2379, kube-scheduler 10259, " +
        'kube-controller-manager 10257).',
    ),
  namespaces: z
    .array(z.string().min(1))
    .default([])
    .describe('pod and service roles: only these namespaces (empty: all).'),
  annotated: z
    .boolean()
    .default(true)
    .describe(
      'pod role: only pods annotated <prefix>/scrape: "true" ' +
        "(false: every TCP container port, as Prometheus' role pod).",
    ),
  annotationPrefix: z
    .string()
    .min(1)
    .default('prometheus.io')
    .describe('Prefix of the scrape, port, path and scheme annotations.'),
  ownNode: z
    .boolean()
    .default(false)
    .describe('node and pod roles: only this node (the agent; watches pods with a spec.nodeName field selector).'),
  addresses: z
    .array(hostPort)
    .default([])
    .describe('Control-plane roles: these host:port addresses instead of discovery (e.g. etcd outside the cluster).'),
});

/** The `kubernetes:` section of a job. */
export type KubernetesDiscoveryConfig = z.output<typeof kubernetesDiscoverySchema>;
