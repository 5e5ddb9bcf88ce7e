import type { Cluster, S3Server, VictoriaMetricsServer } from '../test/env/index.ts';

/** A watchkeeper mode the sandbox runs as a child process. */
export interface SandboxMode {
  name: string;
  /** CLI arguments, e.g. ['prober']. */
  args: string[];
  /** Port of the mode's status server. */
  port: number;
}

/** What the sandbox runs and the configuration it runs it with. */
export interface SandboxPlan {
  /** Contents of the sandbox's watchkeeper.yaml. */
  config: Record<string, unknown>;
  running: SandboxMode[];
  /** Modes that are not built yet. */
  skipped: string[];
}

/** Decides which components the sandbox runs against its servers; grows as components land. */
export function sandboxModes(servers: { cluster: Cluster; s3: S3Server; vm: VictoriaMetricsServer; dir: string }): SandboxPlan {
  return {
    config: {
      cluster: { name: 'sandbox' },
      kubernetes: { kubeconfig: servers.cluster.adminKubeconfig },
    },
    running: [],
    skipped: ['agent (log shipper)', 'prober', 'backup'],
  };
}
