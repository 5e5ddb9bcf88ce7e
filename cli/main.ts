#!/usr/bin/env node
import { buildProgram } from './program.ts';
import { runCli } from './run.ts';

process.exitCode = await runCli(buildProgram(), process.argv);
