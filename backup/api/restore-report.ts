import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { ObjectStorage } from '../storage/types.ts';
import { formatTable } from '../../core/table.ts';

/** What happened to one object. */
export type RestoreResult = 'created' | 'updated' | 'skipped' | 'failed';

/** One row of a restore report. */
export interface ReportRow {
  /** "resource" or "resource.group". */
  resource: string;
  /** Target namespace (after mapping); absent for cluster-scoped objects. */
  namespace?: string;
  name: string;
  result: RestoreResult;
  /** Why it was skipped, the API's message when it failed, notes otherwise. */
  reason?: string;
}

/** The summary line that ends a stored report. */
export interface ReportSummary {
  restoreId: string;
  backupId: string;
  dryRun: boolean;
  startedAt: string;
  completedAt: string;
  counts: Record<RestoreResult, number>;
}

/**
 * The per-object report of a restore, written as JSON lines to a file while the restore runs (so
 * memory does not grow with the number of objects), then stored beside the backup and printed.
 */
export class RestoreReport {
  readonly file: string;
  readonly counts: Record<RestoreResult, number> = { created: 0, updated: 0, skipped: 0, failed: 0 };
  private readonly out: WriteStream;

  constructor(file: string) {
    this.file = file;
    this.out = createWriteStream(file, { mode: 0o600 });
  }

  /** Records one object's outcome. */
  async add(row: ReportRow): Promise<void> {
    this.counts[row.result]++;
    if (!this.out.write(`${JSON.stringify(row)}\n`)) await once(this.out, 'drain');
  }

  /** Writes the summary line and closes the file. */
  async close(summary: ReportSummary): Promise<void> {
    this.out.end(`${JSON.stringify({ summary })}\n`);
    await once(this.out, 'close');
  }

  /** Stores the closed report under `key`. */
  async store(storage: ObjectStorage, key: string): Promise<void> {
    await storage.put(key, createReadStream(this.file), { contentType: 'application/x-ndjson' });
  }

  /** The rows of the closed report, in order. */
  async *rows(): AsyncGenerator<ReportRow> {
    for await (const line of createInterface({ input: createReadStream(this.file), crlfDelay: Infinity })) {
      if (line === '') continue;
      const parsed = JSON.parse(line) as ReportRow | { summary: ReportSummary };
      if (!('summary' in parsed)) yield parsed;
    }
  }
}

/** The report as a table for people, with a summary line. */
export async function formatRestoreReport(report: RestoreReport, summary: ReportSummary): Promise<string> {
  const rows: string[][] = [];
  for await (const r of report.rows()) rows.push([r.result, r.resource, r.namespace ?? '', r.name, r.reason ?? '']);
  const c = summary.counts;
  const head = summary.dryRun ? 'Dry run (server-side dryRun=All): nothing was written.\n' : '';
  return (
    `${head}${formatTable(['RESULT', 'RESOURCE', 'NAMESPACE', 'NAME', 'REASON'], rows)}` +
    `Restore ${summary.restoreId} of backup ${summary.backupId}: ${c.created} created, ${c.updated} updated, ${c.skipped} skipped, ${c.failed} failed.\n`
  );
}
