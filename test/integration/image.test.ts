// The container image as operators get it: deploy/Dockerfile built for real with buildah (vfs
// storage, chroot isolation, no registry pulls: provisioning builds the base image locally), then
// the built image runs `version`, `config check` and one `backup etcd` to a directory against a
// real etcd on loopback. Nothing here is skipped: without buildah or the base image the test fails
// and names the provisioning step that provides them.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startEtcd, type EtcdServer } from '../env/index.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const image = 'localhost/watchkeeper:test';
const baseImage = 'docker.io/library/node:24-bookworm-slim';
const entrypoint = ['node', '/opt/watchkeeper/dist/cli/main.js'];

/** Runs buildah on the vfs storage driver, as root can on this machine without a container engine. */
function buildah(args: string[], timeout = 60_000) {
  return run('buildah', ['--storage-driver', 'vfs', ...args], { cwd: root, timeout, maxBuffer: 64 * 1024 * 1024 });
}

/** Runs the image's entrypoint with `args` in the working container. */
function watchkeeper(args: string[]) {
  return buildah(['run', '--isolation', 'chroot', container, '--', ...entrypoint, ...args]);
}

let container = '';
let etcd: EtcdServer;
let work: string;

beforeAll(async () => {
  await buildah(['inspect', '--type', 'image', baseImage]).catch((error: unknown) => {
    throw new Error(
      `buildah or the base image ${baseImage} is missing: run \`npm run provision -- image-base\` (${String(error)})`,
    );
  });
  // --layers keeps the npm ci layer while package-lock.json is unchanged, so warm runs are quick.
  await buildah(
    [
      'bud',
      '--isolation',
      'chroot',
      '--pull-never',
      '--layers',
      '--quiet',
      '-f',
      'deploy/Dockerfile',
      '--build-arg',
      'VERSION=0.1.0',
      '-t',
      image,
      '.',
    ],
    900_000,
  );
  container = (await buildah(['from', '--pull-never', image])).stdout.trim();
  [etcd, work] = await Promise.all([startEtcd(), mkdtemp(join(tmpdir(), 'wk-image-'))]);
}, 960_000);

afterAll(async () => {
  if (container) await buildah(['rm', container]);
  await etcd?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the container image', () => {
  it('runs watchkeeper as a non-root user, with OCI labels', async () => {
    const config = JSON.parse((await buildah(['inspect', '--type', 'image', image])).stdout) as {
      OCIv1: { config: { User: string; Entrypoint: string[]; Labels: Record<string, string> } };
    };
    expect(config.OCIv1.config.User).toBe('1000:1000');
    expect(config.OCIv1.config.Entrypoint).toEqual(entrypoint);
    expect(config.OCIv1.config.Labels).toMatchObject({
      'org.opencontainers.image.version': '0.1.0',
      'org.opencontainers.image.licenses': 'Apache-2.0',
    });
    expect((await buildah(['run', '--isolation', 'chroot', container, '--', 'id', '-u'])).stdout.trim()).toBe('1000');
    expect((await watchkeeper(['version'])).stdout).toMatch(/^watchkeeper 0\.1\.0 \(node v24\./);
  });

  it('holds no test code, sources or dev dependencies', async () => {
    const listing = (
      await buildah([
        'run',
        '--isolation',
        'chroot',
        container,
        '--',
        'sh',
        '-c',
        'ls /opt/watchkeeper /opt/watchkeeper/dist; ls /opt/watchkeeper/node_modules',
      ])
    ).stdout.split('\n');
    expect(listing).not.toContain('test');
    expect(listing).not.toContain('cli.ts');
    expect(listing).not.toContain('vitest');
    expect(listing).not.toContain('typescript');
    expect(listing).not.toContain('chart.js');
    expect(listing).toContain('prom-client');
  });

  it('leaves out the drawing libraries of render --png and says so when asked to draw', async () => {
    const drawn = await watchkeeper([
      'render',
      'dashboards',
      '--png',
      '/tmp/png',
      '--prometheus',
      'http://127.0.0.1:9',
    ]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(drawn.code).toBe(1);
    expect(drawn.stderr).toContain('render dashboards --png needs the package');
  });

  it('checks a configuration and takes an etcd backup to a directory', async () => {
    const config = {
      backup: {
        storage: { type: 'directory', directory: '/tmp/backups' },
        etcd: { endpoints: etcd.endpoints, compression: 'zstd' },
      },
    };
    await writeFile(join(work, 'watchkeeper.yaml'), stringify(config));
    await buildah(['copy', container, join(work, 'watchkeeper.yaml'), '/tmp/watchkeeper.yaml']);
    const checked = await watchkeeper(['config', 'check', '/tmp/watchkeeper.yaml']);
    expect(checked.stdout).toContain('directory: /tmp/backups');
    await watchkeeper(['backup', 'etcd', '-c', '/tmp/watchkeeper.yaml']);
    const listed = JSON.parse(
      (await watchkeeper(['backups', 'list', '-c', '/tmp/watchkeeper.yaml', '-o', 'json'])).stdout,
    ) as { id: string }[];
    expect(listed).toHaveLength(1);
    const verified = await watchkeeper(['backups', 'verify', listed[0]!.id, '-c', '/tmp/watchkeeper.yaml']);
    expect(verified.stdout + verified.stderr).toMatch(/ok|verified/i);
  });
});
