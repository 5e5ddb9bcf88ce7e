import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { InfluxDBServer } from '../test/env/influxdb.ts';
import type { Cluster, NodeExporter, S3Server } from '../test/env/index.ts';
import { freePort, kwokKubeletMetricsPath } from '../test/env/index.ts';

/** A watchkeeper mode the sandbox runs as a child process. */
export interface SandboxMode {
  name: string;
  /** CLI arguments, e.g. ['prober']. */
  args: string[];
  /** Port of the mode's status server. */
  port: number;
  /** One line telling the user where to look, beside /metrics. */
  hint: string;
  /** The mode's own configuration, when it is not the sandbox's watchkeeper.yaml (written to `<name>.yaml`). */
  config?: Record<string, unknown>;
}

/** What the sandbox runs and the configuration it runs it with. */
export interface SandboxPlan {
  /** Contents of the sandbox's watchkeeper.yaml. */
  config: Record<string, unknown>;
  modes: SandboxMode[];
}

/** The servers the sandbox started for watchkeeper to work with. */
export interface SandboxServers {
  cluster: Cluster;
  s3: S3Server;
  nodeExporter: NodeExporter;
  influx: InfluxDBServer;
  /** Prometheus' remote_write receiver URL. */
  remoteWriteUrl: string;
  dir: string;
}

/**
 * The metrics collectors' jobs in the sandbox: the control plane's components and node_exporter as
 * static targets, and the kwok nodes' simulated kubelets by node discovery. The API server is scraped with a bearer token from a file (written here, mode 0600),
 * the scheduler and controller-manager over their self-signed TLS; the sandbox's etcd serves its
 * metrics on a plain-HTTP metrics port (client certificates are exercised by the integration tests).
 */
async function metricsJobs(servers: SandboxServers): Promise<Record<string, unknown>[]> {
  const { cluster, nodeExporter, dir } = servers;
  const tokenFile = join(dir, 'apiserver-token');
  await writeFile(tokenFile, cluster.adminToken, { mode: 0o600 });
  const common = { interval: '15s', timeout: '10s' };
  const etcd = cluster.etcd.tls
    ? { targets: [cluster.etcd.endpoints[0]!], tls: cluster.etcd.tls }
    : { targets: [`${cluster.etcd.metricsUrl}/metrics`] };
  return [
    {
      job: 'kube-apiserver',
      targets: [`${cluster.server}/metrics`],
      tls: { caFile: cluster.caFile },
      bearerTokenFile: tokenFile,
      ...common,
    },
    { job: 'etcd', ...etcd, ...common },
    {
      job: 'kube-scheduler',
      targets: [cluster.metricsUrls['kube-scheduler']],
      tls: { insecureSkipVerify: true },
      ...common,
    },
    {
      job: 'kube-controller-manager',
      targets: [cluster.metricsUrls['kube-controller-manager']],
      tls: { insecureSkipVerify: true },
      ...common,
    },
    { job: 'node', targets: [nodeExporter.target], ...common },
    {
      // One target per node, as in a cluster, at the kubelet and cAdvisor series kwok simulates for that node.
      job: 'kubelet',
      kubernetes: { role: 'node', scheme: 'http' },
      relabelConfigs: [
        { target_label: '__address__', replacement: cluster.kwokAddress },
        {
          source_labels: ['__meta_kubernetes_node_name'],
          target_label: '__metrics_path__',
          replacement: kwokKubeletMetricsPath('$1'),
        },
      ],
      // kwok also gives pods without a claim volume series, with an empty claim label.
      metricRelabelConfigs: [
        { source_labels: ['__name__', 'persistentvolumeclaim'], regex: 'kubelet_volume_stats_.+;', action: 'drop' },
      ],
      ...common,
    },
  ];
}

/**
 * Decides how every component runs against the sandbox's servers: the agent ships the control
 * plane's component and audit logs to a local directory and scrapes node_exporter, the collector scrapes the
 * control plane and serves the cluster-state series (both write to InfluxDB and by remote_write to
 * Prometheus), the prober probes every 30 s, and the backup service
 * snapshots etcd to MinIO every 2 minutes (credentials come from the environment).
 */
export async function sandboxPlan(servers: SandboxServers, modes: SandboxMode[]): Promise<SandboxPlan> {
  const { cluster, s3, influx, dir } = servers;
  const shipped = join(dir, 'shipped-logs');
  const influxTokenFile = join(dir, 'influxdb-token');
  await writeFile(influxTokenFile, influx.token, { mode: 0o600 });
  const jobs = await metricsJobs(servers);
  const sinks = {
    influxdb: { enabled: true, url: influx.url, tokenFile: influxTokenFile, bucket: influx.bucket },
    remoteWrite: [{ name: 'prometheus', url: servers.remoteWriteUrl }],
  };
  const access = { cluster: { name: 'sandbox' }, kubernetes: { kubeconfig: cluster.adminKubeconfig } };
  // The node's targets go to the agent, the control plane and the cluster-state series to the collector, as in a
  // cluster: each series is scraped once.
  const collectorConfig = { ...access, metrics: { jobs: jobs.filter((j) => j.job !== 'node'), sinks } };
  const config = {
    ...access,
    prober: { intervalSeconds: 30, leftoverMinAgeSeconds: 120 },
    logs: {
      dataDir: join(dir, 'agent-state'),
      containers: { enabled: false },
      components: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((name) => ({
        name,
        paths: [join(cluster.dir, `${name}.log`)],
        startAt: 'beginning',
      })),
      audit: { paths: [join(dirname(cluster.auditLogPath), 'audit*.log')] },
      sink: 'directory',
      directory: { path: shipped },
    },
    metrics: { enabled: true, jobs: jobs.filter((j) => j.job === 'node'), sinks },
    backup: {
      storage: {
        type: 's3',
        prefix: 'watchkeeper',
        s3: { bucket: s3.bucket, endpoint: s3.endpoint, region: s3.region, forcePathStyle: true },
      },
      etcd: { endpoints: cluster.etcd.endpoints },
      schedules: [{ name: 'etcd-every-2m', cron: '*/2 * * * *', retention: { keepLast: 10 } }],
      tools: { binDir: cluster.etcd.binDir },
    },
  };
  return { config, modes: modes.map((m) => (m.name === 'collector' ? { ...m, config: collectorConfig } : m)) };
}

/** The modes the sandbox runs, each with a free status port (known before Prometheus starts to scrape them). */
export async function sandboxModes(dir: string): Promise<SandboxMode[]> {
  const shipped = join(dir, 'shipped-logs');
  return [
    {
      name: 'agent',
      args: ['agent'],
      port: await freePort(),
      hint:
        `shipped logs in ${shipped}; node_exporter's series on its /metrics, in InfluxDB and in Prometheus; ` +
        'ask the shipped audit events: watchkeeper audit suspicious -c <config>',
    },
    {
      name: 'collector',
      args: ['collector'],
      port: await freePort(),
      hint: 'the control plane and the cluster-state series (job kube-state-metrics) on its /metrics, in InfluxDB and Prometheus',
    },
    { name: 'prober', args: ['prober'], port: await freePort(), hint: 'watchkeeper_probe_success on /metrics' },
    {
      name: 'backup',
      args: ['backup'],
      port: await freePort(),
      hint: 'watchkeeper backups list -c <config> (with the AWS_* variables printed above)',
    },
  ];
}
