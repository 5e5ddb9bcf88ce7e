import { z } from 'zod';
import { auditSection } from '../../audit/config.ts';
import { backupSection } from '../../backup/config.ts';
import { logsSection } from '../../collectors/logs/config.ts';
import { metricsSection } from '../../collectors/metrics/config.ts';
import { proberSection } from '../../prober/config.ts';

/** Settings of the process's own logs. */
const logSection = z.strictObject({
  level: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe('Lowest level written; per-event records are debug.'),
  format: z
    .enum(['auto', 'json', 'pretty'])
    .default('auto')
    .describe("'auto' writes readable lines on a terminal and JSON otherwise."),
});

/** Settings of the self-monitoring HTTP server (/metrics, /healthz, /readyz). */
const serverSection = z.strictObject({
  host: z.string().min(1).default('0.0.0.0').describe('Address the status server listens on.'),
  port: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(9464)
    .describe('Port of /metrics, /healthz and /readyz; 0 picks a free one.'),
});

/** How watchkeeper reaches the Kubernetes API. */
const kubernetesSection = z.strictObject({
  kubeconfig: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Path of a kubeconfig file; default: $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.',
    ),
  context: z.string().min(1).optional().describe('Context of the kubeconfig to use; default: its current-context.'),
});

/**
 * Seconds of the shutdown budget kept for the rest of a sharded collector's stop after it left the shard group
 * (cli/metrics-service.ts: 2 s for the lifecycle, 3 s for the engine and outputs).
 */
const shardLeaveReserveSeconds = 5;

/**
 * The whole watchkeeper configuration file. Unknown keys are errors. With metrics.sharding enabled,
 * shutdownTimeoutSeconds must leave time to leave the shard group without dropping a target.
 */
export const configSchema = z
  .strictObject({
    cluster: z
      .strictObject({
        name: z
          .string()
          .regex(/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/, 'a DNS-1123 name such as "prod-eu"')
          .default('default')
          .describe('Name of the watched cluster, used in backup keys and as a label.'),
      })
      .prefault({}),
    log: logSection.prefault({}),
    server: serverSection.prefault({}),
    kubernetes: kubernetesSection.prefault({}),
    shutdownTimeoutSeconds: z
      .number()
      .positive()
      .max(600)
      .default(25)
      .describe('How long components may take to flush and stop after SIGTERM.'),
    logs: logsSection.prefault({}),
    metrics: metricsSection.prefault({}),
    prober: proberSection.prefault({}),
    backup: backupSection.prefault({}),
    audit: auditSection.prefault({}),
  })
  .check((ctx) => {
    const config = ctx.value;
    const { enabled, graceSeconds, renewSeconds } = config.metrics.sharding;
    const needed = graceSeconds + 3 * renewSeconds + shardLeaveReserveSeconds;
    if (enabled && config.shutdownTimeoutSeconds < needed)
      ctx.issues.push({
        code: 'custom',
        input: config.shutdownTimeoutSeconds,
        path: ['shutdownTimeoutSeconds'],
        message:
          `shutdownTimeoutSeconds (${config.shutdownTimeoutSeconds}) must be at least ` +
          `metrics.sharding.graceSeconds (${graceSeconds}) + 3 × metrics.sharding.renewSeconds (${renewSeconds}) + ` +
          `${shardLeaveReserveSeconds} = ${needed}: a replica leaving the shard group waits for a plan without it ` +
          'for graceSeconds + 3 renewals, and stopping the scrapes and outputs needs the rest',
      });
  });

/** The effective, validated configuration. */
export type Config = z.infer<typeof configSchema>;
