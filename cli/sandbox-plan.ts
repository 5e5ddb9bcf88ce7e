import { dirname, join } from 'node:path';
import type { Cluster, S3Server } from '../test/env/index.ts';
import { freePort } from '../test/env/index.ts';

/** A watchkeeper mode the sandbox runs as a child process. */
export interface SandboxMode {
  name: string;
  /** CLI arguments, e.g. ['prober']. */
  args: string[];
  /** Port of the mode's status server. */
  port: number;
  /** One line telling the user where to look, beside /metrics. */
  hint: string;
}

/** What the sandbox runs and the configuration it runs it with. */
export interface SandboxPlan {
  /** Contents of the sandbox's watchkeeper.yaml. */
  config: Record<string, unknown>;
  modes: SandboxMode[];
}

/**
 * Decides how every component runs against the sandbox's servers: the agent ships the control
 * plane's component and audit logs to a local directory, the prober probes every 30 s, and the
 * backup service snapshots etcd to MinIO every 2 minutes (credentials come from the environment).
 */
export async function sandboxPlan(servers: { cluster: Cluster; s3: S3Server; dir: string }): Promise<SandboxPlan> {
  const { cluster, s3, dir } = servers;
  const shipped = join(dir, 'shipped-logs');
  const config = {
    cluster: { name: 'sandbox' },
    kubernetes: { kubeconfig: cluster.adminKubeconfig },
    prober: { intervalSeconds: 30, leftoverMinAgeSeconds: 120 },
    logs: {
      dataDir: join(dir, 'agent-state'),
      containers: { enabled: false },
      components: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((name) => ({ name, paths: [join(cluster.dir, `${name}.log`)], startAt: 'beginning' })),
      audit: { paths: [join(dirname(cluster.auditLogPath), 'audit*.log')] },
      sink: 'directory',
      directory: { path: shipped },
    },
    backup: {
      storage: { type: 's3', prefix: 'watchkeeper', s3: { bucket: s3.bucket, endpoint: s3.endpoint, region: s3.region, forcePathStyle: true } },
      etcd: { endpoints: cluster.etcd.endpoints },
      schedules: [{ name: 'etcd-every-2m', cron: '*/2 * * * *', retention: { keepLast: 10 } }],
      tools: { binDir: cluster.etcd.binDir },
    },
  };
  return {
    config,
    modes: [
      { name: 'agent', args: ['agent'], port: await freePort(), hint: `shipped logs in ${shipped}; ask them: watchkeeper audit suspicious -c <config>` },
      { name: 'prober', args: ['prober'], port: await freePort(), hint: 'watchkeeper_probe_success on /metrics' },
      { name: 'backup', args: ['backup'], port: await freePort(), hint: 'watchkeeper backups list -c <config> (with the AWS_* variables printed above)' },
    ],
  };
}
