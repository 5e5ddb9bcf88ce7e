import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { WatchkeeperError } from '../../core/errors.ts';
import { sandboxModes, sandboxPlan } from '../sandbox-plan.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

/** Runs test/env/provision.sh with its progress lines on stderr. */
function provision(): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(repoRoot, 'test/env/provision.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolvePromise()
        : reject(new WatchkeeperError('failed', `provisioning failed with exit code ${code}: see the lines above`)),
    );
  });
}

/** `watchkeeper sandbox`: a local real cluster with every built component running against it. */
export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description(
      'start a local real cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok nodes), MinIO, ' +
        'Prometheus, InfluxDB and node_exporter, and run every watchkeeper component against it',
    )
    .option('--dir <dir>', 'where the sandbox writes its configuration and component logs', '.sandbox')
    .option('--nodes <n>', 'simulated nodes', '3')
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper sandbox             provision (first run builds the servers), start everything, Ctrl-C stops it
  watchkeeper sandbox --nodes 5`,
    )
    .action(async (options: { dir: string; nodes: string }) => {
      const nodes = Number(options.nodes);
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50)
        throw new WatchkeeperError('usage', `--nodes: expected an integer from 1 to 50, found "${options.nodes}"`);
      await provision();
      // Loaded only here: the test environment is not needed by any other command.
      const env = await import('../../test/env/index.ts');
      const dir = resolve(options.dir);
      await mkdir(dir, { recursive: true });
      const say = (line: string): void => {
        process.stderr.write(`[sandbox] ${line}\n`);
      };
      const stops: (() => Promise<void>)[] = [];
      const stopAll = async (): Promise<void> => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      };
      try {
        say('starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok ...');
        const started = Date.now();
        const cluster = await env.startCluster({ nodes, kubeletMetrics: true });
        stops.push(() => cluster.stop());
        say(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s with ${nodes} kwok nodes`);
        const s3 = await env.startS3({ bucket: 'watchkeeper' });
        stops.push(() => s3.stop());
        const { startInfluxDB } = await import('../../test/env/influxdb.ts');
        const [nodeExporter, influx] = await Promise.all([env.startNodeExporter(), startInfluxDB()]);
        stops.push(
          () => nodeExporter.stop(),
          () => influx.stop(),
        );
        const modes = await sandboxModes(dir);
        const prometheus = await env.startPrometheus({
          scrapeIntervalSeconds: 5,
          ruleFiles: [
            resolve(repoRoot, 'alerts/watchkeeper.rules.yaml'),
            resolve(repoRoot, 'alerts/cluster.rules.yaml'),
          ],
          scrapeTargets: modes.map((m) => ({ job: `watchkeeper-${m.name}`, target: `127.0.0.1:${m.port}` })),
          remoteWriteReceiver: true,
        });
        stops.push(() => prometheus.stop());
        const servers = { cluster, s3, nodeExporter, influx, remoteWriteUrl: prometheus.remoteWriteUrl, dir };
        const plan = await sandboxPlan(servers, modes);
        const configFile = join(dir, 'watchkeeper.yaml');
        await writeFile(configFile, stringify(plan.config));
        for (const mode of plan.modes) {
          const modeConfigFile = mode.config ? join(dir, `${mode.name}.yaml`) : configFile;
          if (mode.config) await writeFile(modeConfigFile, stringify(mode.config));
          const child = spawn(
            process.execPath,
            [
              join(repoRoot, 'cli/main.ts'),
              ...mode.args,
              '-c',
              modeConfigFile,
              '--set',
              `server.port=${mode.port}`,
              '--set',
              'log.format=json',
            ],
            {
              stdio: ['ignore', 'pipe', 'pipe'],
              env: { ...process.env, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey },
            },
          );
          const log = createWriteStream(join(dir, `${mode.name}.log`));
          child.stdout.pipe(log);
          child.stderr.pipe(log);
          stops.push(
            () =>
              new Promise<void>((done) => {
                if (child.exitCode !== null) {
                  done();
                  return;
                }
                child.once('exit', () => done());
                child.kill('SIGTERM');
              }),
          );
        }
        const upQuery = 'up{job=~"kube.*|etcd|node"}';
        process.stdout.write(
          [
            '',
            'watchkeeper sandbox is running. Where to look:',
            `  kubectl:        export KUBECONFIG=${cluster.adminKubeconfig}   (API server ${cluster.server})`,
            `  config:         ${configFile}`,
            `  Prometheus:     ${prometheus.url}   (scrapes every component below, with watchkeeper's alert rules: ${prometheus.url}/alerts)`,
            `  S3 (MinIO):     ${s3.endpoint} bucket ${s3.bucket}`,
            `                  export AWS_ACCESS_KEY_ID=${s3.accessKeyId} AWS_SECRET_ACCESS_KEY=${s3.secretAccessKey}`,
            `  audit log:      ${cluster.auditLogPath}`,
            `  metrics:        node_exporter (${nodeExporter.target}) scraped every 15 s by the agent, the control plane`,
            `                  and the cluster-state series by the collector: watchkeeper metrics targets -c ${join(dir, 'collector.yaml')}`,
            `                  Prometheus (remote_write): ${prometheus.url}/graph?g0.expr=${encodeURIComponent(upQuery)}`,
            `                  InfluxDB ${influx.url}, database ${influx.database}, user ${influx.username}, ` +
              `password in ${join(dir, 'influxdb-token')}`,
            ...plan.modes.map(
              (m) =>
                `  ${m.name.padEnd(15)} http://127.0.0.1:${m.port}/metrics, log ${join(dir, `${m.name}.log`)}; ${m.hint}`,
            ),
            'Press Ctrl-C to stop everything.',
            '',
          ].join('\n'),
        );
        await new Promise<void>((done) => {
          process.once('SIGINT', done);
          process.once('SIGTERM', done);
        });
        say('stopping ...');
      } finally {
        await stopAll();
      }
      say('stopped');
    });
}
