// The three collectors of the benchmark, each started as its own process scraping the same target
// and writing to the same remote_write receiver, with its own job name so their series stay apart.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort, startPrometheus, toolBinary, type PrometheusServer } from '../../test/env/index.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const clockTicks = 100;

/** A collector process under measurement. */
export interface Contender {
  /** Also its job label and its name in the target's scrape counts. */
  name: string;
  pid: number;
  stop(): Promise<void>;
}

/** CPU seconds (user + system) and memory of a process, from /proc. */
export interface ProcSnapshot {
  cpuSeconds: number;
  rssMiB: number;
  peakRssMiB: number;
}

/** Reads /proc/<pid>/stat and status. */
export function snapshot(pid: number): ProcSnapshot {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return {
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / clockTicks,
    rssMiB: kib('VmRSS') / 1024,
    peakRssMiB: kib('VmHWM') / 1024,
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function spawnLogged(
  name: string,
  command: string,
  args: string[],
  dir: string,
  env?: NodeJS.ProcessEnv,
): ChildProcess {
  const log = path.join(dir, `${name}.log`);
  const child = spawn(command, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(log);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) process.stderr.write(`${name} exited with ${code}; log: ${log}\n`);
  });
  return child;
}

/** Options shared by every contender. */
export interface ContenderOptions {
  target: string;
  intervalSeconds: number;
  remoteWriteUrl: string;
  workDir: string;
}

/**
 * watchkeeper's cluster-level collector mode (`node cli/main.ts collector`) with one static job and one
 * remote_write output, run with the deployment's NODE_OPTIONS (deploy/kubernetes/agent.yaml).
 */
export async function startWatchkeeper(options: ContenderOptions, nodeOptions: string): Promise<Contender> {
  const dir = path.join(options.workDir, 'watchkeeper');
  mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'watchkeeper.yaml');
  writeFileSync(
    config,
    stringify({
      log: { level: 'warn', format: 'json' },
      server: { host: '127.0.0.1', port: await freePort() },
      metrics: {
        jobs: [
          {
            job: 'watchkeeper',
            targets: [options.target],
            interval: `${options.intervalSeconds}s`,
            timeout: `${Math.min(10, options.intervalSeconds)}s`,
          },
        ],
        sinks: { remoteWrite: [{ url: options.remoteWriteUrl }] },
        // No cluster here: the scrape path alone is measured, without the cluster-state collector.
        state: { enabled: false },
      },
    }),
  );
  const env = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${nodeOptions}`.trim(), MALLOC_ARENA_MAX: '2' };
  const child = spawnLogged(
    'watchkeeper',
    path.join(repo, 'node_modules/.bin/node'),
    ['cli/main.ts', 'collector', '-c', config],
    dir,
    env,
  );
  return { name: 'watchkeeper', pid: child.pid!, stop: () => stopChild(child) };
}

/** Debian's Prometheus in agent mode (no TSDB, no queries: the part comparable to a forwarder). */
export async function startPrometheusAgent(
  options: ContenderOptions,
): Promise<Contender & { server: PrometheusServer }> {
  const server = await startPrometheus({
    agent: true,
    scrapeIntervalSeconds: options.intervalSeconds,
    scrapeTargets: [{ job: 'prometheus', target: options.target }],
    remoteWriteUrls: [options.remoteWriteUrl],
  });
  return { name: 'prometheus', pid: server.process.pid!, server, stop: () => server.stop() };
}

/** vmagent v1.151.0 (built by `npm run provision -- vmagent`), in-memory queue plus its default on-disk buffer. */
export async function startVmagent(options: ContenderOptions): Promise<Contender> {
  const dir = path.join(options.workDir, 'vmagent');
  mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'scrape.yml');
  writeFileSync(
    config,
    stringify({
      global: {
        scrape_interval: `${options.intervalSeconds}s`,
        scrape_timeout: `${Math.min(10, options.intervalSeconds)}s`,
      },
      scrape_configs: [{ job_name: 'vmagent', static_configs: [{ targets: [options.target] }] }],
    }),
  );
  const child = spawnLogged(
    'vmagent',
    toolBinary('vmagent', 'vmagent'),
    [
      `-promscrape.config=${config}`,
      `-remoteWrite.url=${options.remoteWriteUrl}`,
      `-remoteWrite.tmpDataPath=${path.join(dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${await freePort()}`,
      '-loggerLevel=WARN',
    ],
    dir,
  );
  return { name: 'vmagent', pid: child.pid!, stop: () => stopChild(child) };
}
