// The CLI as operators install it: `npm pack` (which compiles to dist/), then `npm install -g` of
// the tarball on Node 24 and on Node 22 (the oldest line `engines` allows), and `npx` from a clean
// directory. Checks that the installed command runs, and that the package holds no test code.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDir } from '../env/binaries.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const node24Dir = join(root, 'node_modules/node/bin');
const node22Dir = join(cacheDir, 'bin/node-22.23.5/bin');
const version = (await import('../../package.json', { with: { type: 'json' } })).default.version;

let work: string;
let tarball: string;
let packedFiles: string[] = [];
let installed: Promise<string> | undefined;

/** Installs the packed tarball globally into a prefix of its own, once; resolves to that prefix. */
function globalInstall(): Promise<string> {
  const prefix = join(work, 'global');
  installed ??= withNode(
    node24Dir,
    'npm',
    ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball],
    work,
  ).then(() => prefix);
  return installed;
}

/** Runs a command with `nodeBinDir` first on PATH, so npm and the installed shim use that Node. */
function withNode(nodeBinDir: string, file: string, args: string[], cwd: string) {
  const path = [nodeBinDir, join(root, 'node_modules/.bin'), process.env.PATH].join(':');
  return run(file, args, {
    cwd,
    env: { ...process.env, PATH: path, npm_config_prefer_offline: 'true' },
    timeout: 240_000,
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'wk-pack-'));
  const packed = await withNode(node24Dir, 'npm', ['pack', '--json', '--pack-destination', work], root);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  packedFiles = info!.files.map((f) => f.path);
}, 300_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the compiled CLI and no test code, sandbox or TypeScript sources', () => {
    expect(packedFiles).toContain('dist/cli/main.js');
    expect(packedFiles).toContain('dist/alerts/watchkeeper.rules.yaml');
    expect(packedFiles.filter((f) => f.startsWith('test/') || f.startsWith('dist/test/'))).toEqual([]);
    expect(packedFiles.filter((f) => /sandbox/.test(f))).toEqual([]);
    expect(packedFiles.filter((f) => f.endsWith('.ts'))).toEqual([]);
  });

  // One global install (npm itself runs on Node 24); the installed command then runs on each Node line.
  it.each([
    ['24', node24Dir],
    ['22', node22Dir],
  ])('installed with npm install -g, runs on Node %s', async (major, nodeBinDir) => {
    const bin = join(await globalInstall(), 'bin/watchkeeper');
    const printed = await withNode(nodeBinDir, bin, ['version'], work);
    expect(printed.stdout).toContain(`watchkeeper ${version} (node v${major}.`);
    const help = await withNode(nodeBinDir, bin, ['backups', '--help'], work);
    expect(help.stdout).toContain('Usage: watchkeeper backups');
    // The sandbox needs the test environment's servers: the package says where it runs instead.
    const sandbox = await withNode(nodeBinDir, bin, ['sandbox'], work).catch(
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(sandbox).toMatchObject({ code: 2 });
    expect((sandbox as { stderr: string }).stderr).toContain('runs from a source checkout');
  });

  it('runs as npx watchkeeper from a clean directory', async () => {
    const prefix = await globalInstall();
    const clean = await mkdtemp(join(work, 'clean-'));
    const printed = await run('npx', ['--no-install', 'watchkeeper', 'version'], {
      cwd: clean,
      env: { ...process.env, PATH: [node24Dir, process.env.PATH].join(':'), npm_config_prefix: prefix },
    });
    expect(printed.stdout).toContain(`watchkeeper ${version} (node v24.`);
  });
});
