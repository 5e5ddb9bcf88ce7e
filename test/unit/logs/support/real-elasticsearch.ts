import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where a real Elasticsearch can come from on this machine, or why not. */
export interface RealElasticsearchSource {
  zip?: string;
  javaHome?: string;
  reason?: string;
}

const version = '9.2.0';

/**
 * Finds the Maven Central integ-test distribution of Elasticsearch (fetched with
 * `mvn dependency:get -Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:9.2.0:zip`)
 * and a JDK 21+ to run it.
 */
export function findRealElasticsearch(): RealElasticsearchSource {
  const zip = join(homedir(), `.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/${version}/elasticsearch-${version}.zip`);
  if (!existsSync(zip)) return { reason: `${zip} is absent (mvn dependency:get ...:integ-test-zip:elasticsearch:${version}:zip)` };
  const jvms = existsSync('/usr/lib/jvm') ? readdirSync('/usr/lib/jvm') : [];
  const jdk = jvms.find((d) => /(?:temurin|jdk|openjdk)-(2[1-9]|[3-9]\d)/.test(d));
  if (!jdk) return { reason: 'no JDK 21 or newer in /usr/lib/jvm' };
  return { zip, javaHome: join('/usr/lib/jvm', jdk) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
    server.on('error', reject);
  });
}

/** A running single-node Elasticsearch (security off). */
export interface RealElasticsearch {
  url: string;
  stop(): Promise<void>;
}

/** Unpacks and starts Elasticsearch as user nobody (it refuses root); resolves when it answers. */
export async function startRealElasticsearch(source: Required<Pick<RealElasticsearchSource, 'zip' | 'javaHome'>>): Promise<RealElasticsearch> {
  const dir = mkdtempSync(join(tmpdir(), 'wk-es-'));
  chmodSync(dir, 0o755);
  const unzip = spawnSync('unzip', ['-q', source.zip, '-d', dir]);
  if (unzip.status !== 0) throw new Error(`unzip failed: ${unzip.stderr.toString()}`);
  mkdirSync(join(dir, 'data'));
  spawnSync('chown', ['-R', 'nobody:nogroup', dir]);
  const port = await freePort();
  const home = join(dir, `elasticsearch-${version}`);
  const asRoot = process.getuid?.() === 0;
  const command = join(home, 'bin/elasticsearch');
  const args = ['-E', 'discovery.type=single-node', '-E', `http.port=${port}`, '-E', 'http.host=127.0.0.1', '-E', 'transport.host=127.0.0.1',
    '-E', `path.data=${join(dir, 'data')}`, '-E', 'xpack.security.enabled=false'];
  const env = { ...process.env, ES_JAVA_HOME: source.javaHome, ES_JAVA_OPTS: '-Xms512m -Xmx512m' };
  const child: ChildProcess = asRoot
    ? spawn('runuser', ['-u', 'nobody', '--', 'env', `ES_JAVA_HOME=${source.javaHome}`, 'ES_JAVA_OPTS=-Xms512m -Xmx512m', command, ...args], { stdio: 'ignore', detached: true })
    : spawn(command, args, { stdio: 'ignore', env, detached: true });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 150_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/_cluster/health`);
      if (res.ok) break;
    } catch {
      // Not up yet.
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Elasticsearch did not start (see ${home}/logs)`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    url,
    async stop() {
      // The process group: runuser, the launcher and the JVM.
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
      await new Promise((resolve) => setTimeout(resolve, 2000));
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    },
  };
}
