#!/usr/bin/env node
import { buildProgram } from './program.ts';
import { runCli } from './run.ts';

const code = await runCli(buildProgram(), process.argv);
process.exitCode = code;
// A stopped mode normally lets the event loop drain; a handle someone forgot must not keep it alive.
setTimeout(() => process.exit(code), 2_000).unref();
