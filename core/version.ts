import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** Version of this build, read from package.json. */
export const buildInfo = { version: manifest.version } as const;
