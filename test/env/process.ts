import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** How to start one server process of the test environment. */
export interface ProcessSpec {
  /** Short name used in errors, e.g. 'kube-apiserver'. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Where stdout and stderr go; the tail is quoted when start-up fails. */
  logFile: string;
  /** Resolves true once the server answers; polled until `startTimeoutMs`. */
  ready: () => Promise<boolean>;
  startTimeoutMs?: number;
}

/** A server process that tests can stop, restart and kill by PID. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private readonly spec: ProcessSpec;

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  /** PID of the running process, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until it is ready; throws with the log tail when it is not. */
  async start(): Promise<void> {
    if (this.running) return;
    const { name, command, args, env, logFile } = this.spec;
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.child = child;
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const deadline = Date.now() + (this.spec.startTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const failed = await Promise.race([spawnError, delay(0).then(() => undefined)]);
      if (failed) throw new Error(`${name}: cannot start ${command}: ${failed.message}`);
      if (!this.running)
        throw new Error(
          `${name} exited with ${child.exitCode ?? child.signalCode} during start-up:\n${this.logTail()}`,
        );
      if (await this.spec.ready().catch(() => false)) return;
      await delay(100);
    }
    await this.stop();
    throw new Error(`${name} not ready after ${this.spec.startTimeoutMs ?? 60_000} ms:\n${this.logTail()}`);
  }

  /** Stops the process: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Kills the process at once with SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    await this.stop(0);
  }

  /** Stops then starts the process again with the same arguments. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Last lines of the process's log, for error messages. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
