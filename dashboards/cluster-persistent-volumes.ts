import { clusterLinks, clusterTags, clusterVariable, namespaceVariable, series, stat } from './cluster-common.ts';
import { dashboard, type GrafanaDashboard } from './grafana.ts';

const ksm = 'job="kube-state-metrics", cluster=~"$cluster"';
const claims = `${ksm}, namespace=~"$namespace"`;
const volumes = 'job="kubelet", cluster=~"$cluster", namespace=~"$namespace"';

/** PersistentVolumeClaims and PersistentVolumes: phases, requested and real capacity, space and inodes used. */
export function persistentVolumesDashboard(): GrafanaDashboard {
  return dashboard({
    uid: 'cluster-persistent-volumes',
    title: 'Kubernetes / Persistent volumes',
    description:
      'PersistentVolumeClaims by phase and size (cluster-state series, kube-state-metrics names), the space ' +
      "and inodes used on each mounted volume (kubelets' kubelet_volume_stats_*), and PersistentVolumes by phase.",
    tags: clusterTags,
    variables: [clusterVariable, namespaceVariable],
    links: clusterLinks,
    panels: [
      stat(
        'PVCs bound',
        'PersistentVolumeClaims of the chosen namespaces bound to a volume.',
        'short',
        `sum(kube_persistentvolumeclaim_status_phase{${claims}, phase="Bound"})`,
        [{ value: 1, color: 'green' }],
        'blue',
      ),
      stat(
        'PVCs pending',
        'Claims waiting for a volume: no matching PersistentVolume, or the provisioner failed (pods using them ' +
          'stay Pending).',
        'short',
        `sum(kube_persistentvolumeclaim_status_phase{${claims}, phase="Pending"})`,
        [{ value: 1, color: 'orange' }],
      ),
      stat(
        'PVs failed or released',
        'PersistentVolumes (cluster-wide) whose reclamation failed, or released by their claim and not reused.',
        'short',
        `sum(kube_persistentvolume_status_phase{${ksm}, phase=~"Failed|Released"})`,
        [
          { value: 1, color: 'orange' },
          { value: 5, color: 'red' },
        ],
      ),
      stat(
        'Fullest volume',
        'Largest share of space used among mounted volumes (KubePersistentVolumeFillingUp under 3 % free).',
        'percentunit',
        `max(kubelet_volume_stats_used_bytes{${volumes}} / kubelet_volume_stats_capacity_bytes{${volumes}})`,
        [
          { value: 0.85, color: 'orange' },
          { value: 0.97, color: 'red' },
        ],
      ),
      series(
        'PVCs by phase',
        'Claims in each phase (Bound, Pending, Lost) per namespace; Lost means the bound volume is gone.',
        'short',
        [
          {
            expr: `sum by (namespace, phase) (kube_persistentvolumeclaim_status_phase{${claims}}) > 0`,
            legend: '{{namespace}} {{phase}}',
          },
        ],
        [{ value: 1, color: 'orange' }],
      ),
      series(
        'PVs by phase',
        'PersistentVolumes in each phase (Available, Bound, Released, Failed, Pending), cluster-wide.',
        'short',
        [{ expr: `sum by (phase) (kube_persistentvolume_status_phase{${ksm}}) > 0`, legend: '{{phase}}' }],
        [{ value: 1, color: 'orange' }],
      ),
      series(
        'Volume space used',
        'Share of each mounted volume used, per claim (kubelet volume stats).',
        'percentunit',
        [
          {
            expr: `kubelet_volume_stats_used_bytes{${volumes}} / kubelet_volume_stats_capacity_bytes{${volumes}}`,
            legend: '{{namespace}}/{{persistentvolumeclaim}}',
          },
        ],
        [
          { value: 0.85, color: 'orange' },
          { value: 0.97, color: 'red' },
        ],
      ),
      series(
        'Volume inodes used',
        'Share of inodes used on each mounted volume (KubePersistentVolumeInodesFillingUp under 3 % free).',
        'percentunit',
        [
          {
            expr: `kubelet_volume_stats_inodes_used{${volumes}} / kubelet_volume_stats_inodes{${volumes}}`,
            legend: '{{namespace}}/{{persistentvolumeclaim}}',
          },
        ],
        [
          { value: 0.85, color: 'orange' },
          { value: 0.97, color: 'red' },
        ],
      ),
      series(
        'Capacity vs used per claim',
        'Bytes used and capacity of each mounted volume (kubelet), beside the size the claim requested.',
        'bytes',
        [
          {
            expr: `kubelet_volume_stats_used_bytes{${volumes}}`,
            legend: '{{namespace}}/{{persistentvolumeclaim}} used',
          },
          {
            expr: `kubelet_volume_stats_capacity_bytes{${volumes}}`,
            legend: '{{namespace}}/{{persistentvolumeclaim}} capacity',
          },
          {
            expr: `kube_persistentvolumeclaim_resource_requests_storage_bytes{${claims}}`,
            legend: '{{namespace}}/{{persistentvolumeclaim}} requested',
          },
        ],
        [{ value: 1024 ** 4, color: 'orange' }],
      ),
      series(
        'Requested size per claim',
        'Storage each PersistentVolumeClaim requests; the bound volume may be larger.',
        'bytes',
        [
          {
            expr: `kube_persistentvolumeclaim_resource_requests_storage_bytes{${claims}}`,
            legend: '{{namespace}}/{{persistentvolumeclaim}}',
          },
        ],
        [{ value: 1024 ** 4, color: 'orange' }],
      ),
      series(
        'PV capacity',
        'Capacity of each PersistentVolume, cluster-wide.',
        'bytes',
        [{ expr: `kube_persistentvolume_capacity_bytes{${ksm}}`, legend: '{{persistentvolume}}' }],
        [{ value: 1024 ** 4, color: 'orange' }],
        24,
      ),
    ],
  });
}
