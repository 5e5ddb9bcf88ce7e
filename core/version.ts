import { existsSync, readFileSync } from 'node:fs';

// The sources sit one level below package.json, the compiled package (dist/) two.
const manifestUrl = [new URL('../package.json', import.meta.url), new URL('../../package.json', import.meta.url)].find(
  (url) => existsSync(url),
);
if (!manifestUrl) throw new Error(`package.json not found above ${import.meta.url}`);
const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as { version: string };

/** Version of this build, read from package.json. */
export const buildInfo = { version: manifest.version } as const;
