import { z } from 'zod';

/** The `prober:` section: how often and how the black-box prober exercises the cluster. */
export const proberSection = z.strictObject({
  intervalSeconds: z.number().positive().default(60).describe('Time between probe runs; jittered by up to 10%.'),
});
