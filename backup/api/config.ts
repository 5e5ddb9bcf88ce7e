import { z } from 'zod';
import { parseLabelSelector } from './label-selector.ts';

/** A label selector checked at load time, so a typo fails before any backup runs. */
const selectorText = z.string().superRefine((text, ctx) => {
  try {
    parseLabelSelector(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
  }
});

/** What an API backup selects and how it lists and stores it (`backup.schedules[].api`). */
export const apiBackupSection = z.strictObject({
  selectors: z
    .array(selectorText)
    .default([])
    .describe(
      'Label selectors (kubectl syntax, e.g. "app=payments,tier in (web,api)"); an object is selected when any matches; none selects everything.',
    ),
  includeNamespaces: z
    .array(z.string().min(1))
    .default([])
    .describe('Namespaces to back up, as globs (e.g. "prod-*"); empty means every namespace.'),
  excludeNamespaces: z
    .array(z.string().min(1))
    .default([])
    .describe('Namespaces never backed up, as globs; wins over includeNamespaces.'),
  includeResources: z
    .array(z.string().min(1))
    .default([])
    .describe(
      'Resources to back up, as globs over "resource" or "resource.group" (e.g. "deployments.apps", "*.example.com"); empty means all.',
    ),
  excludeResources: z
    .array(z.string().min(1))
    .default([])
    .describe('Resources never backed up, same syntax; wins over includeResources.'),
  clusterResources: z
    .enum(['none', 'all', 'referenced'])
    .default('referenced')
    .describe(
      "Cluster-scoped objects: 'none', 'all' (those the selectors match), or 'referenced' (namespaces, PVs, ClusterRoles and CRDs that selected objects use).",
    ),
  compression: z.enum(['zstd', 'gzip', 'none']).default('zstd').describe('Compression of the stored archive.'),
  concurrency: z.number().int().min(1).max(32).default(4).describe('Resources listed at the same time.'),
  pageSize: z.number().int().min(10).max(5000).default(500).describe('Objects per LIST page (limit/continue).'),
});

/** The validated API backup settings. */
export type ApiBackupConfig = z.infer<typeof apiBackupSection>;
