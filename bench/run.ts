// Runs the benchmarks: every bench/<name>/main.ts in turn, or only the names given
// (`npm run bench -- backup`). Each prints its own ratios and writes its docs/benchmarks.md section.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.dirname(new URL(import.meta.url).pathname);
const wanted = process.argv.slice(2);
const names = readdirSync(root, { withFileTypes: true })
  .filter(
    (e) =>
      e.isDirectory() &&
      existsSync(path.join(root, e.name, 'main.ts')) &&
      (wanted.length === 0 || wanted.includes(e.name)),
  )
  .map((e) => e.name)
  .sort();
if (names.length === 0) {
  process.stderr.write(`no benchmark matches ${wanted.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of names) {
  process.stdout.write(`== bench ${name}\n`);
  const result = spawnSync(process.execPath, [path.join(root, name, 'main.ts')], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
