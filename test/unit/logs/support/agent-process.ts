import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  createWriteStream,
  mkdirSync,
  renameSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

const root = join(import.meta.dirname, '../../../..');
const node = join(root, 'node_modules/.bin/node');

/** A `watchkeeper agent` child process. */
export class AgentProcess {
  private child: ChildProcess | undefined;
  private readonly configFile: string;
  private readonly logFile: string;
  /** Resolves when the current child exits. */
  exited: Promise<number | null> = Promise.resolve(null);

  constructor(configFile: string, logFile: string) {
    this.configFile = configFile;
    this.logFile = logFile;
  }

  /** Starts the agent and waits until it says it started. */
  async start(): Promise<void> {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(node, ['cli/main.ts', 'agent', '-c', this.configFile], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr.pipe(log);
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout.on('data', (chunk: Buffer) => {
        log.write(chunk);
        seen += chunk.toString();
        if (seen.includes('Log shipper started.')) {
          seen = '';
          resolve();
        }
      });
      void this.exited.then((code) =>
        reject(new Error(`agent exited with ${code} before starting; see ${this.logFile}`)),
      );
    });
  }

  /** SIGKILL: no flush, no checkpoint save. A no-op when it already exited. */
  async kill9(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait; returns the exit code. */
  async stop(): Promise<number | null> {
    this.child?.kill('SIGTERM');
    return this.exited;
  }
}

/** Writes an agent configuration for tests (fast polling, small batches) and returns its path. */
export function writeAgentConfig(dir: string, logs: Record<string, unknown>): string {
  const file = join(dir, 'watchkeeper.yaml');
  writeFileSync(
    file,
    stringify({
      log: { level: 'info', format: 'json' },
      server: { host: '127.0.0.1', port: 0 },
      shutdownTimeoutSeconds: 10,
      logs: {
        dataDir: join(dir, 'data'),
        enrichFromApi: false,
        tail: { pollIntervalMs: 50, scanIntervalSeconds: 1, rotatedGraceSeconds: 1 },
        batch: { maxEvents: 500, maxDelayMs: 100 },
        checkpointIntervalMs: 100,
        ...logs,
      },
    }),
  );
  return file;
}

/**
 * Writes CRI lines with unique messages `<name> seq <n>` to a container log path and rotates it
 * like kubelet (rename to <path>.<n>, new file) or like logrotate copytruncate (copy to <path>.<n>,
 * truncate), recording every message it wrote.
 */
export class CriWriter {
  readonly written: string[] = [];
  private seq = 0;
  private rotations = 0;
  readonly path: string;
  private readonly name: string;
  private readonly padding: string;

  constructor(path: string, name: string, padding = 60) {
    this.path = path;
    this.name = name;
    this.padding = 'x'.repeat(padding);
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Appends n lines in one write. */
  write(n: number, extra = ''): void {
    let text = '';
    for (let i = 0; i < n; i++) {
      const message = `${this.name} seq ${this.seq++}${extra}`;
      this.written.push(message);
      text += `${new Date().toISOString()} stdout F ${message} ${this.padding}\n`;
    }
    appendFileSync(this.path, text);
  }

  /** kubelet-style rotation: rename away, the next write creates a new file. */
  rotateByRename(): void {
    renameSync(this.path, `${this.path}.${++this.rotations}`);
  }

  /** logrotate copytruncate: copy, then truncate in place (no write in between). */
  rotateByCopyTruncate(): void {
    copyFileSync(this.path, `${this.path}.${++this.rotations}`);
    truncateSync(this.path, 0);
  }
}

/** Message text without the padding, as written by CriWriter. */
export function messageKey(message: unknown): string {
  const text = String(message);
  const cut = text.lastIndexOf(' ');
  return cut > 0 ? text.slice(0, cut) : text;
}

/** Polls until check() is true or the time is up (returns the last result). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 90_000,
  everyMs = 250,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
