import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './binaries.ts';
import { httpGet, type GetOptions } from './http.ts';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { makeWorkDir, removeWorkDir } from './workdir.ts';

const version = '9.2.0';

/** What {@link startElasticsearch} starts. */
export interface ElasticsearchOptions {
  /**
   * Security on (authentication required, plain http on loopback, no TLS): a file-realm superuser
   * is on the returned {@link ElasticsearchServer.credentials}. No API key: the integ-test
   * distribution lacks the analysis-common module, so the .security index (which holds API keys and
   * native users) cannot be created: POST /_security/api_key answers 400 "Unknown filter type
   * [pattern_capture] for [email]", and that module is not on Maven Central.
   */
  security?: boolean;
}

/** Credentials of a secured node (only with `security: true`). */
export interface ElasticsearchCredentials {
  /** File-realm user with the `superuser` role, created by `bin/elasticsearch-users useradd` before start. */
  username: string;
  password: string;
  /** The basic-auth option of test/env/http.ts for requests as `username`. */
  auth: GetOptions;
  /**
   * Adds a file-realm user to the running node (`elasticsearch-users useradd`) with `role` (default `superuser`;
   * {@link shipperRole} is defined too); the node accepts it within about a second (poll for it).
   */
  addUser(username: string, password: string, role?: string): void;
}

/** A role of the secured node with only what docs/logs.md says the log shipper needs (default index prefix). */
export const shipperRole = 'watchkeeper-shipper';

const shipperRoleYaml = `${shipperRole}:
  cluster: [manage_index_templates]
  indices:
    - names: ['watchkeeper-*']
      privileges: [create_doc, auto_configure]
`;

/** A running single-node Elasticsearch (loopback only; security off unless asked for). */
export interface ElasticsearchServer {
  url: string;
  version: string;
  process: ManagedProcess;
  /** Set when started with `security: true`. */
  credentials?: ElasticsearchCredentials;
  stop(): Promise<void>;
}

/** A JDK that runs Elasticsearch 9.2 (21 or newer), preferring Temurin. */
function findJavaHome(): string {
  const jvms = existsSync('/usr/lib/jvm') ? readdirSync('/usr/lib/jvm') : [];
  const candidates = jvms
    .filter((d) => /(?:temurin|jdk|openjdk)-(2[1-9]|[3-9]\d)\b/.test(d))
    .sort((a, b) => Number(b.includes('temurin')) - Number(a.includes('temurin')));
  if (candidates.length === 0)
    throw new Error(
      `Elasticsearch ${version} needs a JDK 21 or newer in /usr/lib/jvm (found: ${jvms.join(', ') || 'none'})`,
    );
  return join('/usr/lib/jvm', candidates[0]!);
}

function chownTree(path: string, id: number): void {
  chownSync(path, id, id);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) chownTree(join(path, entry.name), id);
    else chownSync(join(path, entry.name), id, id);
  }
}

/**
 * Starts Elasticsearch from the integ-test distribution on Maven Central (fetched by
 * `npm run provision -- elasticsearch`), with its data, logs and config in a temp dir. As root it
 * runs as user nobody, because Elasticsearch refuses to run as root.
 */
export async function startElasticsearch(options: ElasticsearchOptions = {}): Promise<ElasticsearchServer> {
  const distribution = join(cacheDir, 'bin', `elasticsearch-${version}`, `elasticsearch-${version}`);
  if (!existsSync(join(cacheDir, 'bin', `elasticsearch-${version}`, '.complete'))) {
    throw new Error(`Elasticsearch ${version} not fetched: run \`npm run provision -- elasticsearch\``);
  }
  const javaHome = findJavaHome();
  const dir = await makeWorkDir('elasticsearch');
  // A copy per server: the cache under root's home is not readable by nobody, and Elasticsearch writes into its config dir.
  const home = join(dir, 'home');
  cpSync(distribution, home, { recursive: true });
  const config = join(home, 'config');
  for (const sub of ['data', 'logs']) mkdirSync(join(dir, sub));
  const env = { ES_JAVA_HOME: javaHome, ES_PATH_CONF: config, ES_JAVA_OPTS: '-Xms512m -Xmx512m' };
  const username = 'watchkeeper-test';
  const password = randomBytes(12).toString('hex');
  const root = process.getuid?.() === 0;
  // Written into config/users and users_roles: the file realm needs no running node, and a running one
  // reloads the files (every second, see resource.reload.interval.high below). As nobody once the tree is theirs.
  const addUser = (name: string, secret: string, asServerUser: boolean, role = 'superuser'): void => {
    const users = join(home, 'bin', 'elasticsearch-users');
    const args = ['useradd', name, '-p', secret, '-r', role];
    execFileSync(
      asServerUser ? 'setpriv' : users,
      asServerUser ? ['--reuid=65534', '--regid=65534', '--clear-groups', '--', users, ...args] : args,
      { env: { ...process.env, ...env, ES_JAVA_OPTS: '' }, stdio: 'pipe' },
    );
  };
  if (options.security) {
    addUser(username, password, false);
    // The least role docs/logs.md names for the log shipper, to prove it is enough.
    writeFileSync(join(config, 'roles.yml'), shipperRoleYaml);
  }
  if (root) chownTree(dir, 65534);
  const [port, transportPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const auth: GetOptions = options.security ? { basicAuth: { username, password } } : {};
  const args = [
    '-E',
    'discovery.type=single-node',
    '-E',
    `http.port=${port}`,
    '-E',
    'http.host=127.0.0.1',
    '-E',
    `transport.port=${transportPort}`,
    '-E',
    'transport.host=127.0.0.1',
    '-E',
    `path.data=${join(dir, 'data')}`,
    '-E',
    `path.logs=${join(dir, 'logs')}`,
    ...(options.security
      ? [
          '-E',
          'xpack.security.enabled=true',
          // Plain http on loopback; a single node (discovery.type=single-node) needs no transport TLS either.
          '-E',
          'xpack.security.http.ssl.enabled=false',
          '-E',
          'xpack.security.transport.ssl.enabled=false',
          '-E',
          'xpack.security.autoconfiguration.enabled=false',
          '-E',
          'resource.reload.interval.high=1s',
        ]
      : ['-E', 'xpack.security.enabled=false']),
    '-E',
    'cluster.routing.allocation.disk.threshold_enabled=false',
  ];
  const command = join(home, 'bin', 'elasticsearch');
  const server = new ManagedProcess({
    name: 'elasticsearch',
    command: process.getuid?.() === 0 ? 'setpriv' : command,
    args:
      process.getuid?.() === 0 ? ['--reuid=65534', '--regid=65534', '--clear-groups', '--', command, ...args] : args,
    env,
    logFile: join(dir, 'elasticsearch.out'),
    ready: async () => (await httpGet(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, auth)).status === 200,
    startTimeoutMs: 180_000,
  });
  await server.start();
  return {
    url,
    version,
    process: server,
    ...(options.security
      ? {
          credentials: {
            username,
            password,
            auth,
            addUser: (name, secret, role) => addUser(name, secret, root, role),
          },
        }
      : {}),
    stop: async () => {
      await server.stop(30_000);
      await removeWorkDir(dir);
    },
  };
}
