import { backupDashboard } from './backup.ts';
import { controlPlaneDashboard } from './cluster-control-plane.ts';
import { etcdDashboard } from './cluster-etcd.ts';
import { nodesDashboard } from './cluster-nodes.ts';
import { overviewDashboard } from './cluster-overview.ts';
import { persistentVolumesDashboard } from './cluster-persistent-volumes.ts';
import { workloadsDashboard } from './cluster-workloads.ts';
import type { GrafanaDashboard } from './grafana.ts';
import { logsDashboard } from './logs.ts';
import { metricsDashboard } from './metrics.ts';
import { proberDashboard } from './prober.ts';

/** Every dashboard watchkeeper ships, by file name. */
export function allDashboards(): Record<string, GrafanaDashboard> {
  return {
    'watchkeeper-prober.json': proberDashboard(),
    'watchkeeper-backup.json': backupDashboard(),
    'watchkeeper-logs.json': logsDashboard(),
    'watchkeeper-metrics.json': metricsDashboard(),
    'cluster-control-plane.json': controlPlaneDashboard(),
    'cluster-etcd.json': etcdDashboard(),
    'cluster-nodes.json': nodesDashboard(),
    'cluster-overview.json': overviewDashboard(),
    'cluster-workloads.json': workloadsDashboard(),
    'cluster-persistent-volumes.json': persistentVolumesDashboard(),
  };
}
