import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toolBinary } from './binaries.ts';
import { httpGet } from './http.ts';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { makeWorkDir, removeWorkDir } from './workdir.ts';

/** One series of an InfluxQL answer. */
export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** A running InfluxDB 1.8 with authentication on, an admin user and one database. */
export interface InfluxDBServer {
  /** e.g. http://127.0.0.1:40111; serves /api/v2/write, /query, /write and /ping. */
  url: string;
  username: string;
  password: string;
  /** The database created at start. */
  database: string;
  /** The v2 write API token of an InfluxDB 1.8: "user:password". */
  token: string;
  /** The v2 write API bucket of the created database: "database/autogen". */
  bucket: string;
  process: ManagedProcess;
  /** Runs InfluxQL statements against the database as the admin; returns the series of the first result. */
  query(influxql: string): Promise<InfluxSeries[]>;
  /** Stops and starts the server again on the same ports and data (fault injection). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts InfluxDB 1.8 (built by `npm run provision -- influxdb`) on free loopback ports in a temp dir. */
export async function startInfluxDB(options: { database?: string } = {}): Promise<InfluxDBServer> {
  const dir = await makeWorkDir('influxdb');
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${httpPort}`;
  const username = 'admin';
  const password = randomBytes(12).toString('hex');
  const database = options.database ?? 'watchkeeper';
  const configFile = join(dir, 'influxdb.conf');
  await writeFile(
    configFile,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${httpPort}"`,
      '  auth-enabled = true',
      '  log-enabled = false',
      '',
    ].join('\n'),
  );
  const process = new ManagedProcess({
    name: 'influxdb',
    command: toolBinary('influxdb', 'influxd'),
    logFile: join(dir, 'influxdb.log'),
    args: ['run', '-config', configFile],
    ready: async () => (await httpGet(`${url}/ping`)).status === 204,
  });
  await process.start();
  const influxql = async (q: string, auth: boolean, db?: string): Promise<InfluxSeries[]> => {
    const form = new URLSearchParams({ q, ...(db ? { db } : {}), epoch: 'ms' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (auth) headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const response = await fetch(`${url}/query`, { method: 'POST', headers, body: form.toString() });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`influxdb query ${q}: HTTP ${response.status}: ${text}`);
    const answer = JSON.parse(text) as { results: { error?: string; series?: InfluxSeries[] }[] };
    const first = answer.results[0];
    if (first?.error) throw new Error(`influxdb query ${q}: ${first.error}`);
    return first?.series ?? [];
  };
  // With authentication on, InfluxDB accepts exactly one unauthenticated statement: creating the first admin.
  await influxql(`CREATE USER "${username}" WITH PASSWORD '${password}' WITH ALL PRIVILEGES`, false);
  await influxql(`CREATE DATABASE "${database}"`, true);
  return {
    url,
    username,
    password,
    database,
    process,
    token: `${username}:${password}`,
    bucket: `${database}/autogen`,
    query: (q) => influxql(q, true, database),
    restart: () => process.restart(),
    stop: async () => {
      await process.stop();
      await removeWorkDir(dir);
    },
  };
}
