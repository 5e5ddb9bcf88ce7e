// The torture's receiving endpoint, in a process of its own: the Elasticsearch fake (it injects the
// outage, per-item 429s and mapping errors), taken down and up on request, and counting what it
// stored against what was written (so that a million documents never cross a pipe).
import { startFakeElasticsearch } from '../../test/fakes/elasticsearch/server.ts';
import { tallyDocuments, type TortureExpectation } from '../../test/unit/logs/support/torture.ts';

/** A request from the parent. */
export type EndpointRequest =
  | { id: number; cmd: 'down' }
  | { id: number; cmd: 'up' }
  | { id: number; cmd: 'conflicts' }
  | { id: number; cmd: 'created' }
  | { id: number; cmd: 'tally'; expected: TortureExpectation };

const fake = await startFakeElasticsearch();
fake.faults.itemReject = { every: Number(process.env.WK_TORTURE_REJECT_EVERY ?? 200), times: 1 };
fake.faults.mappingError = (source) => String(source.message).includes('BADMAP');
const index = `${process.env.WK_TORTURE_PREFIX ?? 'torture'}-logs-*`;

process.on('message', (request: EndpointRequest) => {
  void (async () => {
    let result: unknown;
    if (request.cmd === 'down') result = await fake.stop();
    else if (request.cmd === 'up') result = await fake.start();
    else if (request.cmd === 'conflicts') result = fake.stats.conflicts;
    else if (request.cmd === 'created') result = fake.stats.created;
    else if (request.cmd === 'tally')
      result = tallyDocuments(
        request.expected,
        fake.documents(index).map((d) => ({ id: d._id, message: String(d._source.message) })),
      );
    process.send!({ id: request.id, result: result ?? null });
  })();
});
process.send!({ id: 0, result: fake.url });
