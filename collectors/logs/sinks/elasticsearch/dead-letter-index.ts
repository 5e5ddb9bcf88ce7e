import type { ElasticsearchHttp } from './http-client.ts';
import type { DeadLetter, DeadLetterStore } from '../dead-letter.ts';

/**
 * Dead letters as documents of the index `<prefix>-dead-letters` (the alternative to the file):
 * id, target index, reason, detail and the document as text. Written with `create` under the
 * letter's id, so a letter written again after a restart is stored once. A letter that cannot be
 * stored makes the write fail, and the pipeline retries the batch.
 */
export class DeadLetterIndex implements DeadLetterStore {
  private readonly http: ElasticsearchHttp;
  readonly index: string;

  constructor(http: ElasticsearchHttp, prefix: string) {
    this.http = http;
    this.index = `${prefix}-dead-letters`;
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const time = new Date().toISOString();
    const body = letters
      .map(
        (l) =>
          `${JSON.stringify({ create: { _index: this.index, _id: l.id } })}\n${JSON.stringify({
            '@timestamp': time,
            index: l.index,
            id: l.id,
            reason: l.reason,
            detail: l.detail,
            document: l.document,
          })}\n`,
      )
      .join('');
    const answer = await this.http.json<{
      errors?: boolean;
      items?: Record<string, { status: number; error?: { type?: string } }>[];
    }>('POST', '/_bulk', body);
    if (!answer.errors) return;
    const failed = (answer.items ?? [])
      .map((item) => Object.values(item)[0]!)
      .filter((r) => r.status >= 300 && r.status !== 409);
    if (failed.length > 0)
      throw new Error(
        `${failed.length} dead letters not stored in ${this.index}: ${failed[0]!.error?.type ?? failed[0]!.status}`,
      );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
