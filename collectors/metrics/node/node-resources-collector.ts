import type { SharedWatches } from '../discovery/shared-watches.ts';
import type { WatchedStore } from '../discovery/watched-store.ts';
import type { KubeNode, KubePod } from '../discovery/kube-objects.ts';
import type { ExpositionHandler } from '../types.ts';
import { emitNodeResources } from './node-resources.ts';

/**
 * The agent's node capacity, allocatable and pod requests from the API: its own Node (field selector
 * metadata.name) and its own pods (spec.nodeName), from the same shared watches discovery uses, so the pod
 * watch the agent already has for annotated pods is not opened twice.
 */
export class NodeResourcesCollector {
  private readonly watches: SharedWatches;
  private readonly nodeName: string;
  private nodes: WatchedStore<KubeNode> | undefined;
  private pods: WatchedStore<KubePod> | undefined;

  constructor(watches: SharedWatches, nodeName: string) {
    this.watches = watches;
    this.nodeName = nodeName;
  }

  /** Starts (or joins) the watches; resolves once both were listed. */
  async start(): Promise<void> {
    [this.nodes, this.pods] = await Promise.all([
      this.watches.acquire('nodes', { fieldSelector: `metadata.name=${this.nodeName}` }),
      this.watches.acquire('pods', { fieldSelector: `spec.nodeName=${this.nodeName}` }),
    ]);
  }

  /** Emits the node's resource metrics; nothing when the node is not (yet) known. Returns the samples emitted. */
  collect(handler: ExpositionHandler): number {
    const node = this.nodes ? [...this.nodes.values()][0] : undefined;
    if (!node || !this.pods) return 0;
    return emitNodeResources(node, this.pods.values(), handler);
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.watches.release('nodes', { fieldSelector: `metadata.name=${this.nodeName}` }),
      this.watches.release('pods', { fieldSelector: `spec.nodeName=${this.nodeName}` }),
    ]);
  }
}
