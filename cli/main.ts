#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// The compiled package ships source maps: stack traces then name the TypeScript lines.
process.setSourceMapsEnabled(true);
// From a checkout (TypeScript sources), compiled code with its types already stripped is cached on
// disk and loaded by the next start instead of being compiled again. Besides time this saves memory
// for good: the type stripper is then not loaded at all. Measured 2026-11-29 (Node 24.21),
// `watchkeeper agent` RSS after start: 117 MiB cold, 90-93 MiB with the cache. The compiled package
// gains nothing from it (89-92 MiB either way), so it stays off there: no writes to the image's disk,
// and no exposure to Node hanging on a cache path it cannot create (seen with one under /proc).
// The cache directory is NODE_COMPILE_CACHE, else the temp directory; where it cannot be written
// the cache stays off.
if (import.meta.url.endsWith('.ts')) enableCompileCache();
// Imported after the cache is on, so that they are cached too.
const { buildProgram } = await import('./program.ts');
const { runCli } = await import('./run.ts');

// `watchkeeper ... | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  else throw error;
});
const code = await runCli(await buildProgram(process.argv), process.argv);
process.exitCode = code;
// A stopped mode normally lets the event loop drain; a handle someone forgot must not keep it alive.
setTimeout(() => process.exit(code), 2_000).unref();
