import { z } from 'zod';

/** The `audit:` section: the investigations' detector as the agent runs it. */
export const auditSection = z.strictObject({
  detector: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe(
          'Run the detection rules of `watchkeeper audit suspicious` over audit events as the agent ' +
            'ships them, counting findings by rule.',
        ),
    })
    .prefault({}),
});

/** The validated `audit:` section. */
export type AuditConfig = z.infer<typeof auditSection>;
