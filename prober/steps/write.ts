import { isStatus } from '../../core/kube/errors.ts';
import { listAll } from '../../core/kube/list.ts';
import { resourcePath, resources } from '../../core/kube/paths.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import { watchEvents } from '../../core/kube/watch.ts';
import { configMapName } from '../labels.ts';
import { ProbeFailure, type ProbeContext, type ProbeStep } from '../step.ts';
import { seconds, unlessAborted } from '../wait.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/**
 * Step "write": the write path through etcd and back. ConfigMap create, get, update with its
 * resourceVersion, a stale update that must get 409 Conflict, delete; and the time from create to
 * the ADDED event on a watch opened before.
 */
export const writeStep = (timeoutMs: number): ProbeStep => ({
  name: 'write',
  timeoutMs,
  async run(ctx: ProbeContext): Promise<string> {
    const { client, signal } = ctx;
    const collection = resourcePath(resources.configMaps, ctx.namespace);
    const path = `${collection}/${configMapName}`;
    const what = `configmap ${configMapName}`;

    ctx.progress('opening a watch on configmaps');
    const { resourceVersion } = await listAll(client, collection, { signal });
    const watchAbort = new AbortController();
    let connected: () => void = () => undefined;
    const watchOpen = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const added = (async (): Promise<number | undefined> => {
      for await (const event of watchEvents<ConfigMap>(client, collection, {
        resourceVersion,
        signal: AbortSignal.any([signal, watchAbort.signal]),
        allowWatchBookmarks: false,
        onConnected: connected,
      })) {
        if (event.type === 'ADDED' && event.object.metadata.name === configMapName) return performance.now();
      }
      return undefined;
    })();
    // Keep a failing watch from becoming an unhandled rejection while the writes go on.
    added.catch(() => undefined);
    await unlessAborted(Promise.race([watchOpen, added]), signal);

    ctx.progress(`creating ${what}`);
    const createdAt = performance.now();
    const created = await client.postJson<ConfigMap>(
      collection,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMapName }, data: { step: 'create' } },
      { signal },
    );
    ctx.progress(`waiting for the ADDED event of ${what}`);
    const addedAt = await unlessAborted(added, signal);
    watchAbort.abort();
    if (addedAt === undefined)
      throw new ProbeFailure(`${what}: created, but no ADDED event on the watch after ${seconds(timeoutMs)}`);
    const watchLatencyMs = addedAt - createdAt;
    ctx.measurements.watchLatencyMs = watchLatencyMs;

    ctx.progress(`reading ${what}`);
    const got = await client.getJson<ConfigMap>(path, { signal });
    if (got.data?.step !== 'create')
      throw new ProbeFailure(`${what}: read back data.step=${JSON.stringify(got.data?.step)}, expected "create"`);

    ctx.progress(`updating ${what}`);
    const updated = await client.putJson<ConfigMap>(path, { ...got, data: { step: 'update' } }, { signal });
    if (updated.metadata.resourceVersion === created.metadata.resourceVersion) {
      throw new ProbeFailure(
        `${what}: update kept resourceVersion ${updated.metadata.resourceVersion}, expected a new one`,
      );
    }

    ctx.progress(`stale update of ${what}`);
    const stale = await client.request('PUT', path, {
      body: { ...got, data: { step: 'stale' } },
      signal,
      acceptErrorStatus: true,
    });
    if (stale.status !== 409) {
      throw new ProbeFailure(
        `${what}: update with stale resourceVersion ${got.metadata.resourceVersion} answered ${stale.status}, expected 409 Conflict`,
      );
    }

    ctx.progress(`deleting ${what}`);
    await client.deleteJson(path, { signal });
    try {
      await client.getJson(path, { signal });
      throw new ProbeFailure(`${what}: still readable after delete, expected 404`);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    return `watch latency ${watchLatencyMs.toFixed(0)} ms`;
  },
});
