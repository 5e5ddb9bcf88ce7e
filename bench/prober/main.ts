// Time to detect: how long after a control-plane fault `watchkeeper_probe_success` goes to 0, with
// the prober's default settings (60 s interval, default step bounds), read from /metrics of a real
// `watchkeeper prober` the way Prometheus scrapes it. The reference is Kuberhealthy's deployment
// check, whose defaults are a 30-minute interval and a 15-minute timeout (it cannot run here: it
// needs a kubelet that runs its check pods). Each fault is injected right after a successful run,
// close to the worst case. Rounds: BENCH_PROBER_ROUNDS (default 2).
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, startCluster } from '../../test/env/index.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';

const rounds = Number(process.env.BENCH_PROBER_ROUNDS ?? 2);
const kuberhealthyWorstCaseSeconds = 30 * 60 + 15 * 60;

async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await fetch(`${url}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

async function secondsUntil(url: string, value: number, timeoutMs = 600_000): Promise<number> {
  const start = Date.now();
  while ((await metric(url, 'watchkeeper_probe_success')) !== value) {
    if (Date.now() - start > timeoutMs) throw new Error(`watchkeeper_probe_success never became ${value}`);
    await delay(500);
  }
  return (Date.now() - start) / 1000;
}

const cluster = await startCluster({ nodes: 3 });
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const config = join(cluster.dir, 'prober-bench.yaml');
await writeFile(
  config,
  JSON.stringify({
    log: { level: 'warn', format: 'json' },
    server: { host: '127.0.0.1', port },
    kubernetes: { kubeconfig: cluster.adminKubeconfig },
  }),
);
const prober = spawn(process.execPath, [join(import.meta.dirname, '../../cli/main.ts'), 'prober', '-c', config], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const results: { fault: string; detect: number; recover: number }[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    for (const component of ['kube-controller-manager', 'kube-apiserver'] as const) {
      await secondsUntil(url, 1);
      const previous = await metric(url, 'watchkeeper_probe_last_success_timestamp_seconds');
      while ((await metric(url, 'watchkeeper_probe_last_success_timestamp_seconds')) === previous) await delay(200);
      await cluster.stopComponent(component);
      const detect = await secondsUntil(url, 0);
      await cluster.startComponent(component);
      const recover = await secondsUntil(url, 1);
      results.push({ fault: `${component} stopped`, detect, recover });
      process.stdout.write(
        `round ${round}: ${component} stopped -> success 0 after ${detect.toFixed(1)} s; back to 1 ${recover.toFixed(1)} s after restart\n`,
      );
    }
  }
} finally {
  prober.kill('SIGTERM');
  await cluster.stop();
}
const worst = Math.max(...results.map((r) => r.detect));
const rows = results.map((r) => `| ${r.fault} | ${r.detect.toFixed(1)} | ${r.recover.toFixed(1)} |`);
await writeBenchmarkSection(
  '## Prober: time to detect a control-plane fault',
  [
    `Run by \`npm run bench -- prober\` (bench/prober/main.ts) on ${machineLine()}.`,
    'Default prober settings (60 s interval ±10 %, 45 s workload bound); `watchkeeper_probe_success` read from /metrics every 0.5 s.',
    '',
    '| fault | seconds until success = 0 | seconds until back to 1 after the fix |',
    '|---|---:|---:|',
    ...rows,
    '',
    `Worst detection ${worst.toFixed(1)} s (goal: under 120 s). Kuberhealthy's deployment check with its defaults (30-minute interval, 15-minute timeout) can take up to ${kuberhealthyWorstCaseSeconds} s: ratio ${(kuberhealthyWorstCaseSeconds / worst).toFixed(0)}× faster, by configuration rather than by code.`,
  ].join('\n'),
);
