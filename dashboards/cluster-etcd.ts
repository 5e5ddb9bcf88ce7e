import { clusterLinks, clusterTags, clusterVariable, quantile, series, stat } from './cluster-common.ts';
import { dashboard, type GrafanaDashboard } from './grafana.ts';

const etcd = 'job="etcd", cluster=~"$cluster"';
const failedCodes = 'Unknown|FailedPrecondition|ResourceExhausted|Internal|Unavailable|DataLoss|DeadlineExceeded';

/** etcd: members, leadership, disk latency, database size against its quota, gRPC traffic and errors, proposals. */
export function etcdDashboard(): GrafanaDashboard {
  return dashboard({
    uid: 'cluster-etcd',
    title: 'Kubernetes / etcd',
    description:
      'The etcd cluster under the API server: members up and leader, WAL fsync and commit latency, ' +
      'database size against quota-backend-bytes, gRPC requests and failures, raft proposals.',
    tags: clusterTags,
    variables: [clusterVariable],
    links: clusterLinks,
    panels: [
      stat(
        'Members up',
        'etcd members answering their scrape (etcdMembersDown).',
        'short',
        `sum(up{${etcd}})`,
        [{ value: 1, color: 'green' }],
        'red',
      ),
      stat(
        'Members with a leader',
        'Members that see a leader (etcdNoLeader when one does not).',
        'short',
        `sum(etcd_server_has_leader{${etcd}})`,
        [{ value: 1, color: 'green' }],
        'red',
      ),
      stat(
        'Leader changes (1 h)',
        'Elections seen in the last hour; 4 in 15 minutes warns ' + '(etcdHighNumberOfLeaderChanges).',
        'short',
        `max(increase(etcd_server_leader_changes_seen_total{${etcd}}[1h]))`,
        [
          { value: 1, color: 'orange' },
          { value: 4, color: 'red' },
        ],
      ),
      stat(
        'Largest database',
        "Size of the largest member's database file.",
        'bytes',
        `max(etcd_mvcc_db_total_size_in_bytes{${etcd}})`,
        [{ value: 4 * 1024 ** 3, color: 'orange' }],
      ),
      series(
        'Database size / quota',
        'Database file size against quota-backend-bytes; at 100 % etcd refuses writes ' +
          '(etcdDatabaseQuotaLowSpace at 95 %).',
        'percentunit',
        [
          {
            expr: `etcd_mvcc_db_total_size_in_bytes{${etcd}} / etcd_server_quota_backend_bytes{${etcd}}`,
            legend: '{{instance}}',
          },
        ],
        [
          { value: 0.8, color: 'orange' },
          { value: 0.95, color: 'red' },
        ],
      ),
      series(
        'Database size in use',
        'Live data against the file size; a large gap is space a defragmentation would ' + 'give back.',
        'bytes',
        [
          { expr: `etcd_mvcc_db_total_size_in_use_in_bytes{${etcd}}`, legend: '{{instance}} in use' },
          { expr: `etcd_mvcc_db_total_size_in_bytes{${etcd}}`, legend: '{{instance}} file' },
        ],
        [{ value: 4 * 1024 ** 3, color: 'orange' }],
      ),
      series(
        'WAL fsync p99',
        'Time to sync the write-ahead log to disk; etcd wants under 10 ms ' + '(etcdHighFsyncDurations at 500 ms).',
        's',
        [
          {
            expr: quantile(0.99, 'instance, ', 'etcd_disk_wal_fsync_duration_seconds_bucket', etcd),
            legend: '{{instance}}',
          },
        ],
        [
          { value: 0.01, color: 'orange' },
          { value: 0.5, color: 'red' },
        ],
      ),
      series(
        'Backend commit p99',
        'Time to commit the bbolt backend (etcdHighCommitDurations at 250 ms).',
        's',
        [
          {
            expr: quantile(0.99, 'instance, ', 'etcd_disk_backend_commit_duration_seconds_bucket', etcd),
            legend: '{{instance}}',
          },
        ],
        [
          { value: 0.025, color: 'orange' },
          { value: 0.25, color: 'red' },
        ],
      ),
      series(
        'gRPC requests per second by method',
        'Requests etcd finished handling, by gRPC method.',
        'reqps',
        [
          {
            expr: `sum by (grpc_method) (rate(grpc_server_handled_total{${etcd}}[5m]))`,
            legend: '{{grpc_method}}',
          },
        ],
        [{ value: 1000, color: 'orange' }],
      ),
      series(
        'Failed gRPC requests',
        'Share of requests ending with a server-side error code ' +
          '(etcdHighNumberOfFailedGRPCRequests at 1 % and 5 %).',
        'percentunit',
        [
          {
            expr:
              `sum by (instance) (rate(grpc_server_handled_total{${etcd}, grpc_code=~"${failedCodes}"}[5m]))` +
              ` / sum by (instance) (rate(grpc_server_handled_total{${etcd}}[5m]))`,
            legend: '{{instance}}',
          },
        ],
        [
          { value: 0.01, color: 'orange' },
          { value: 0.05, color: 'red' },
        ],
      ),
      series(
        'Raft proposals',
        'Proposals committed per second and failed per second (failures mean lost leader or ' + 'quorum).',
        'ops',
        [
          {
            expr: `sum by (instance) (rate(etcd_server_proposals_committed_total{${etcd}}[5m]))`,
            legend: '{{instance}} committed',
          },
          {
            expr: `sum by (instance) (rate(etcd_server_proposals_failed_total{${etcd}}[5m]))`,
            legend: '{{instance}} failed',
          },
        ],
        [{ value: 1000, color: 'orange' }],
      ),
      series(
        'Proposals pending',
        'Proposals waiting to be committed; a growing number means a slow disk or network.',
        'short',
        [{ expr: `etcd_server_proposals_pending{${etcd}}`, legend: '{{instance}}' }],
        [{ value: 5, color: 'orange' }],
      ),
    ],
  });
}
