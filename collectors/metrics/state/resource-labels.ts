import { parseQuantity } from '../node/quantity.ts';

/**
 * kube-state-metrics' `unit` label of a resource: cpu in cores, memory, storage and hugepages in bytes, the rest
 * (pods, GPUs, extended resources) counted as integers.
 */
export function unitOf(resource: string): string {
  if (resource === 'cpu') return 'core';
  if (resource === 'memory' || resource.endsWith('storage') || resource.startsWith('hugepages-')) return 'byte';
  return 'integer';
}

/** The `resource` label: characters outside [a-zA-Z0-9_] become `_` (nvidia.com/gpu: nvidia_com_gpu). */
export function resourceLabel(resource: string): string {
  return resource.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** A resource list (requests, limits, capacity...) as numbers, and the entries that are not quantities. */
export function parseResources(list: Record<string, string> | undefined): {
  values: [resource: string, value: number][];
  invalid: string[];
} {
  const values: [string, number][] = [];
  const invalid: string[] = [];
  for (const [resource, quantity] of Object.entries(list ?? {})) {
    const value = typeof quantity === 'string' ? parseQuantity(quantity) : undefined;
    if (value === undefined) invalid.push(`${resource}=${String(quantity)}`);
    else values.push([resource, value]);
  }
  return { values, invalid };
}
