// Peer of `watchkeeper restore api`: creates the objects of a JSON-lines file ([collection path,
// object] per line, namespaces first) with plain POSTs, `concurrency` at a time, namespaces before
// the rest. Prints the number of objects created.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolveKubeAccess } from '../../core/kube/access.ts';
import { KubeClient } from '../../core/kube/client.ts';

const [kubeconfig, file, concurrencyText] = process.argv.slice(2);
const client = new KubeClient(await resolveKubeAccess({ kubeconfig: kubeconfig! }), { timeoutMs: 60_000 });
const concurrency = Number(concurrencyText);
let created = 0;

async function createAll(lines: AsyncIterator<string>): Promise<void> {
  const worker = async (): Promise<void> => {
    for (;;) {
      const next = await lines.next();
      if (next.done) return;
      const [path, object] = JSON.parse(next.value) as [string, unknown];
      await client.postJson(path, object);
      created++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const lines = (filter: (line: string) => boolean): AsyncIterator<string> =>
  (async function* () {
    for await (const line of createInterface({ input: createReadStream(file!), crlfDelay: Infinity }))
      if (line !== '' && filter(line)) yield line;
  })();
const isNamespace = (line: string): boolean => line.startsWith('["/api/v1/namespaces",');
await createAll(lines(isNamespace));
await createAll(lines((l) => !isNamespace(l)));
client.close();
process.stdout.write(`${created}\n`);
