import { z } from 'zod';

/** One listed resource of an API backup. */
const resourceInfoSchema = z.object({
  group: z.string(),
  version: z.string(),
  resource: z.string(),
  kind: z.string(),
  namespaced: z.boolean(),
  /** resourceVersion of the LIST: the point in time this resource reflects. */
  resourceVersion: z.string(),
  /** Objects stored. */
  count: z.number().int().nonnegative(),
  /** Objects stored per namespace (namespaced resources). */
  namespaces: z.record(z.string(), z.number().int().nonnegative()),
});

/** What an API backup holds and how it was selected (manifest field `api`). */
export const apiInfoSchema = z.object({
  /** The API server's gitVersion, e.g. v1.35.4. */
  clusterVersion: z.string(),
  /** The API server's clock (Date header) when the backup started. */
  serverTime: z.string(),
  selection: z.object({
    selectors: z.array(z.string()),
    includeNamespaces: z.array(z.string()),
    excludeNamespaces: z.array(z.string()),
    includeResources: z.array(z.string()),
    excludeResources: z.array(z.string()),
    clusterResources: z.enum(['none', 'all', 'referenced']),
  }),
  /** Objects stored in all. */
  objectCount: z.number().int().nonnegative(),
  /** Whether Secrets are in the archive. */
  secretsIncluded: z.boolean(),
  resources: z.array(resourceInfoSchema),
  /** What could not be read (a group whose discovery failed, a resource that vanished): absent from the backup. */
  missing: z.array(z.object({ what: z.string(), reason: z.string() })),
});

/** The `api` part of a manifest. */
export type ApiInfo = z.infer<typeof apiInfoSchema>;
/** One resource of {@link ApiInfo}. */
export type ResourceInfo = ApiInfo['resources'][number];
