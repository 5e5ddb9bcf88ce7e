#!/usr/bin/env node
// Entry point for `npx watchkeeper` / global installs: Node >= 22.18 runs the TypeScript sources directly.
await import('./main.ts');
