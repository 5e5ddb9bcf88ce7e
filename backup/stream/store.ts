import { pipeline, type Readable } from 'node:stream';
import { WatchkeeperError } from '../../core/errors.ts';
import type { ObjectStorage, PutOptions, PutResult } from '../storage/types.ts';

/**
 * Pipes `source` through `transforms` straight into `storage.put`, so nothing is buffered beyond
 * the streams' own windows. When anything fails, the error of the stage that failed first wins:
 * a hash mismatch in a transform is reported as such, not as the aborted upload it caused.
 */
export async function streamToStorage(
  storage: ObjectStorage,
  key: string,
  source: Readable,
  transforms: NodeJS.ReadWriteStream[],
  options: PutOptions = {},
): Promise<PutResult> {
  let pipelineDone!: (error: Error | null | undefined) => void;
  const finished = new Promise<Error | null | undefined>((resolve) => {
    pipelineDone = resolve;
  });
  const body = pipeline([source, ...transforms] as unknown as [Readable, ...NodeJS.ReadWriteStream[]], (error) =>
    pipelineDone(error),
  ) as unknown as Readable;
  try {
    return await storage.put(key, body, options);
  } catch (putError) {
    body.destroy();
    const streamError = await Promise.race([
      finished,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000)),
    ]);
    if (streamError instanceof WatchkeeperError) throw streamError;
    if (putError instanceof WatchkeeperError || !streamError) throw putError;
    throw streamError;
  }
}
