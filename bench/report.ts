import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** docs/benchmarks.md, where every benchmark writes its section. */
export const benchmarksFile = join(import.meta.dirname, '../docs/benchmarks.md');

/** One line naming the machine, Node version and date, for the top of a section. */
export function machineLine(date = new Date()): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${date.toISOString().slice(0, 10)}, ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`;
}

/** Replaces the section that starts with `heading` (up to the next "## ") in docs/benchmarks.md, keeping the others. */
export async function writeBenchmarkSection(heading: string, body: string): Promise<void> {
  const current = existsSync(benchmarksFile)
    ? await readFile(benchmarksFile, 'utf8')
    : '# Benchmarks\n\nResults of `npm run bench`, with machine and date.\n';
  const section = `${heading}\n\n${body.trim()}\n`;
  const start = current.indexOf(`${heading}\n`);
  if (start < 0) {
    await writeFile(benchmarksFile, `${current.trimEnd()}\n\n${section}`);
    return;
  }
  const next = current.indexOf('\n## ', start + heading.length);
  await writeFile(benchmarksFile, `${current.slice(0, start)}${section}${next < 0 ? '' : current.slice(next)}`);
}
