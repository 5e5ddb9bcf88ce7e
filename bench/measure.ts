import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Wall time and peak resident memory of one child process. */
export interface Measured {
  seconds: number;
  peakRssMiB: number;
  stdout: string;
  cpuSeconds: number;
}

/**
 * Runs a command, polling /proc/<pid> every 50 ms for VmHWM (peak resident set) and CPU time
 * (user + system, so at most the last 50 ms are missed) until it exits.
 */
export function measure(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKiB = 0;
    let cpuTicks = 0;
    const sample = (): void => {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
        // utime and stime (fields 14 and 15, clock ticks of 10 ms), after the parenthesised command name.
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        cpuTicks = Math.max(cpuTicks, Number(fields[11]) + Number(fields[12]));
      } catch {
        /* the process has exited */
      }
    };
    const timer = setInterval(sample, 50);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      sample();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0)
        reject(new Error(`${path.basename(command)} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ seconds, peakRssMiB: peakKiB / 1024, stdout, cpuSeconds: cpuTicks / 100 });
    });
  });
}
