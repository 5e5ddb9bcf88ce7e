import { z } from 'zod';

/** The `logs:` section: which logs the agent tails and where it ships them. */
export const logsSection = z.strictObject({});
