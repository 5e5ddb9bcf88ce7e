// Peer of `watchkeeper backup api`: a plain paged LIST (limit 500, as the API server pages by
// default for clients like kubectl) of the given collections, `concurrency` at a time, each page
// decoded as any client would. Prints the number of objects read.
import { resolveKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';
import { listPages } from '../../core/kube/list.ts';

const [kubeconfig, concurrencyText, ...paths] = process.argv.slice(2);
const client = new KubeClient(await resolveKubeAccess({ kubeconfig: kubeconfig! }), { timeoutMs: 60_000 });
let objects = 0;
let next = 0;
const worker = async (): Promise<void> => {
  while (next < paths.length) {
    for await (const page of listPages(client, paths[next++]!, { limit: 500, labelSelector: 'bench=yes' }))
      objects += page.items.length;
  }
};
await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
client.close();
process.stdout.write(`${objects}\n`);
