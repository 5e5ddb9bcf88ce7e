#!/usr/bin/env node
// The compiled package ships source maps: stack traces then name the TypeScript lines.
process.setSourceMapsEnabled(true);

import { buildProgram } from './program.ts';
import { runCli } from './run.ts';

// `watchkeeper ... | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  else throw error;
});
const code = await runCli(await buildProgram(process.argv), process.argv);
process.exitCode = code;
// A stopped mode normally lets the event loop drain; a handle someone forgot must not keep it alive.
setTimeout(() => process.exit(code), 2_000).unref();
