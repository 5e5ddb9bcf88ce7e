import { z } from 'zod';

/** The `backup:` section: where backups go and which backups run on which schedule. */
export const backupSection = z.strictObject({});
