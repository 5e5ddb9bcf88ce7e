import { clusterLinks, clusterTags, clusterVariable, nodeVariable, series, stat } from './cluster-common.ts';
import { dashboard, type GrafanaDashboard } from './grafana.ts';

const node = 'job="node", cluster=~"$cluster", instance=~"$node"';
const fs = `${node}, fstype!=""`;

/** Nodes, one or all: CPU, memory, load, filesystems, disks, network, clock and pressure (node_exporter names). */
export function nodesDashboard(): GrafanaDashboard {
  return dashboard({
    uid: 'cluster-nodes',
    title: 'Kubernetes / Nodes',
    description:
      "Node resources from node_exporter or watchkeeper's built-in node collector (same names): CPU, " +
      'memory, load, filesystems and inodes, disk I/O, network traffic and errors, clock offset, pressure (PSI).',
    tags: clusterTags,
    variables: [clusterVariable, nodeVariable],
    links: clusterLinks,
    panels: [
      stat(
        'CPU used (busiest node)',
        'Share of CPU time not idle, iowait or steal, over 5 minutes.',
        'percentunit',
        `max(instance:node_cpu_utilisation:rate5m{${node}})`,
        [
          { value: 0.8, color: 'orange' },
          { value: 0.95, color: 'red' },
        ],
      ),
      stat(
        'Memory used (fullest node)',
        'Share of memory not available (MemAvailable); NodeMemoryHighUtilization ' + 'at 90 %.',
        'percentunit',
        `max(instance:node_memory_utilisation:ratio{${node}})`,
        [
          { value: 0.8, color: 'orange' },
          { value: 0.9, color: 'red' },
        ],
      ),
      stat(
        'Load per CPU (highest)',
        '1-minute load average over the CPU count; NodeSystemSaturation above 2.',
        'short',
        `max(instance:node_load1_per_cpu:ratio{${node}})`,
        [
          { value: 1, color: 'orange' },
          { value: 2, color: 'red' },
        ],
      ),
      stat(
        'Fullest filesystem',
        "Largest share of space used among the nodes' filesystems.",
        'percentunit',
        `max(1 - node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}})`,
        [
          { value: 0.85, color: 'orange' },
          { value: 0.9, color: 'red' },
        ],
      ),
      series(
        'CPU by mode',
        'Average share of each CPU mode per node (idle left out).',
        'percentunit',
        [
          {
            expr: `avg by (instance, mode) (rate(node_cpu_seconds_total{${node}, mode!="idle"}[5m]))`,
            legend: '{{instance}} {{mode}}',
          },
        ],
        [{ value: 0.8, color: 'orange' }],
      ),
      series(
        'Memory used',
        'Share of memory not available to new work (1 − MemAvailable / MemTotal) per node.',
        'percentunit',
        [{ expr: `instance:node_memory_utilisation:ratio{${node}}`, legend: '{{instance}}' }],
        [
          { value: 0.8, color: 'orange' },
          { value: 0.9, color: 'red' },
        ],
      ),
      series(
        'Load per CPU',
        '1-minute load average divided by the number of CPUs.',
        'short',
        [
          {
            expr: `instance:node_load1_per_cpu:ratio{${node}}`,
            legend: '{{instance}}',
          },
        ],
        [
          { value: 1, color: 'orange' },
          { value: 2, color: 'red' },
        ],
      ),
      series(
        'Filesystem space used',
        'Share of each filesystem used (NodeFilesystemSpaceFillingUp when predicted ' + 'full within 24 h).',
        'percentunit',
        [
          {
            expr: `1 - node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}}`,
            legend: '{{instance}} {{mountpoint}}',
          },
        ],
        [
          { value: 0.85, color: 'orange' },
          { value: 0.9, color: 'red' },
        ],
      ),
      series(
        'Filesystem inodes used',
        'Share of inodes used (NodeFilesystemAlmostOutOfFiles above 95 %).',
        'percentunit',
        [
          {
            expr: `1 - node_filesystem_files_free{${fs}} / node_filesystem_files{${fs}}`,
            legend: '{{instance}} {{mountpoint}}',
          },
        ],
        [
          { value: 0.9, color: 'orange' },
          { value: 0.95, color: 'red' },
        ],
      ),
      series(
        'Disk busy',
        'Share of time each disk had I/O in progress.',
        'percentunit',
        [
          {
            expr: `rate(node_disk_io_time_seconds_total{${node}}[5m])`,
            legend: '{{instance}} {{device}}',
          },
        ],
        [{ value: 0.8, color: 'orange' }],
      ),
      series(
        'Network traffic',
        'Bytes received (positive) and sent per second per interface.',
        'Bps',
        [
          { expr: `rate(node_network_receive_bytes_total{${node}}[5m])`, legend: '{{instance}} {{device}} in' },
          { expr: `rate(node_network_transmit_bytes_total{${node}}[5m])`, legend: '{{instance}} {{device}} out' },
        ],
        [{ value: 100 * 1024 ** 2, color: 'orange' }],
      ),
      series(
        'Network errors',
        'Receive and transmit errors per second per interface (NodeNetworkReceiveErrs, ' +
          'NodeNetworkTransmitErrs at 1 % of packets).',
        'pps',
        [
          { expr: `rate(node_network_receive_errs_total{${node}}[5m])`, legend: '{{instance}} {{device}} in' },
          { expr: `rate(node_network_transmit_errs_total{${node}}[5m])`, legend: '{{instance}} {{device}} out' },
        ],
        [{ value: 1, color: 'red' }],
      ),
      series(
        'Clock offset',
        "Offset of the node's clock from its time source (NodeClockSkewDetected beyond 50 ms).",
        's',
        [{ expr: `node_timex_offset_seconds{${node}}`, legend: '{{instance}}' }],
        [{ value: 0.05, color: 'red' }],
      ),
      series(
        'Pressure: time waiting',
        'Share of time some task waited for CPU, memory or I/O (PSI "some").',
        'percentunit',
        [
          { expr: `rate(node_pressure_cpu_waiting_seconds_total{${node}}[5m])`, legend: '{{instance}} cpu' },
          { expr: `rate(node_pressure_memory_waiting_seconds_total{${node}}[5m])`, legend: '{{instance}} memory' },
          { expr: `rate(node_pressure_io_waiting_seconds_total{${node}}[5m])`, legend: '{{instance}} io' },
        ],
        [{ value: 0.2, color: 'orange' }],
      ),
    ],
  });
}
