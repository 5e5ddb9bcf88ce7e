import { z } from 'zod';

/**
 * `metrics.sharding`: how cluster-level replicas split the targets of sharded jobs. Membership comes from Leases
 * of live replicas (see docs/metrics.md "Sharding"); the service account needs get, list, watch, create, update
 * and delete on coordination.k8s.io leases in `namespace`.
 */
export const shardingConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Share the targets of sharded jobs among the replicas of the group.'),
    group: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS label')
      .max(40)
      .default('watchkeeper-metrics')
      .describe('Name of the group; its Leases are <group>-member-<identity>, <group>-leader and <group>-plan.'),
    namespace: z.string().min(1).default('watchkeeper').describe('Namespace of the Leases.'),
    identity: z
      .string()
      .min(1)
      .optional()
      .describe("This replica's identity; default the POD_NAME environment variable, then the host name."),
    strategy: z
      .enum(['hashmod', 'rendezvous'])
      .default('hashmod')
      .describe(
        "hashmod: Prometheus' hashmod of the key over the sorted members; " +
          'rendezvous: a joining replica takes only its share.',
      ),
    key: z.string().min(1).default('__address__').describe('Target label hashed to pick the owner.'),
    leaseDurationSeconds: z
      .number()
      .min(2)
      .max(300)
      .default(15)
      .describe('A replica not renewing its Lease for this long has left.'),
    renewSeconds: z
      .number()
      .min(0.2)
      .max(60)
      .default(3)
      .describe('How often a replica renews its Lease (and the leader checks membership).'),
    graceSeconds: z
      .number()
      .min(1)
      .max(600)
      .default(10)
      .describe(
        'Delay between a membership change and the new plan taking effect; ' +
          'must exceed the watch delay between replicas. graceSeconds + 3 × renewSeconds + 5 must not exceed ' +
          'shutdownTimeoutSeconds (19 + 5 with the defaults, within the default 25).',
      ),
  })
  .refine((s) => s.renewSeconds * 2 < s.leaseDurationSeconds, {
    error: 'renewSeconds must be less than half of leaseDurationSeconds',
  })
  .prefault({});

/** The sharding configuration. */
export type ShardingConfig = z.output<typeof shardingConfigSchema>;
