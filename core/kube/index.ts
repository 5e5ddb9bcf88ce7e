// The Kubernetes access module: credentials, raw JSON client, paged lists, watches, cache, leases.
export * from './access.ts';
export * from './client.ts';
export * from './errors.ts';
export * from './informer.ts';
export * from './lease.ts';
export * from './list.ts';
export * from './paths.ts';
export * from './types.ts';
export * from './watch.ts';
