import { describe, expect, it } from 'vitest';
import { apiServerTargets, staticPodTargets } from '../../../collectors/metrics/discovery/control-plane-targets.ts';
import type {
  KubeEndpointSlice,
  KubeNode,
  KubePod,
  KubeService,
} from '../../../collectors/metrics/discovery/kube-objects.ts';
import { sanitizeLabelName } from '../../../collectors/metrics/discovery/meta-labels.ts';
import { nodeTargets } from '../../../collectors/metrics/discovery/node-targets.ts';
import { podTargets, type PodTargetOptions } from '../../../collectors/metrics/discovery/pod-targets.ts';
import { serviceTargets } from '../../../collectors/metrics/discovery/service-targets.ts';
import { trimPod } from '../../../collectors/metrics/discovery/trim.ts';

/** A running pod with one container and the given ports and annotations. */
function pod(
  name: string,
  overrides: {
    annotations?: Record<string, string>;
    ports?: { containerPort: number; protocol?: string; name?: string }[];
    phase?: string;
    ip?: string;
    namespace?: string;
    init?: boolean;
  } = {},
): KubePod {
  const containers = [{ name: 'main', image: 'img:1', ports: overrides.ports ?? [] }];
  return {
    metadata: {
      name,
      namespace: overrides.namespace ?? 'default',
      uid: `uid-${name}`,
      labels: { 'app.kubernetes.io/name': name },
      annotations: overrides.annotations ?? {},
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }],
    },
    spec: { nodeName: 'n1', ...(overrides.init ? { initContainers: containers, containers: [] } : { containers }) },
    status: {
      phase: overrides.phase ?? 'Running',
      ...(overrides.ip === '' ? {} : { podIP: overrides.ip ?? '10.1.0.5' }),
      hostIP: '192.168.0.1',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'main', containerID: 'containerd://abc' }],
    },
  };
}

const annotatedOptions: PodTargetOptions = {
  annotated: true,
  annotationPrefix: 'prometheus.io',
  namespaces: [],
  metricsPath: '/metrics',
  scheme: 'http',
};
const scrape = { 'prometheus.io/scrape': 'true' };

describe('pod targets', () => {
  it('annotated port wins; path and scheme annotations apply; labels as Prometheus names them', () => {
    const [t, ...rest] = podTargets(
      [
        pod('a', {
          annotations: {
            ...scrape,
            'prometheus.io/port': '9102',
            'prometheus.io/path': '/m',
            'prometheus.io/scheme': 'https',
          },
          ports: [{ containerPort: 8080 }, { containerPort: 9102, name: 'metrics' }],
        }),
      ],
      annotatedOptions,
    );
    expect(rest).toEqual([]);
    expect(t).toMatchObject({
      __address__: '10.1.0.5:9102',
      __metrics_path__: '/m',
      __scheme__: 'https',
      __meta_kubernetes_namespace: 'default',
      __meta_kubernetes_pod_name: 'a',
      __meta_kubernetes_pod_ready: 'true',
      __meta_kubernetes_pod_phase: 'Running',
      __meta_kubernetes_pod_controller_kind: 'ReplicaSet',
      __meta_kubernetes_pod_controller_name: 'rs',
      __meta_kubernetes_pod_label_app_kubernetes_io_name: 'a',
      __meta_kubernetes_pod_labelpresent_app_kubernetes_io_name: 'true',
      __meta_kubernetes_pod_container_port_name: 'metrics',
      __meta_kubernetes_pod_container_port_number: '9102',
      __meta_kubernetes_pod_container_id: 'containerd://abc',
      __meta_kubernetes_pod_container_init: 'false',
    });
  });

  it('without a port annotation: every TCP port; unknown schemes ignored; a bad port falls back to ports', () => {
    const targets = podTargets(
      [
        pod('b', {
          annotations: { ...scrape, 'prometheus.io/scheme': 'ftp', 'prometheus.io/port': '99999' },
          ports: [
            { containerPort: 80 },
            { containerPort: 53, protocol: 'UDP' },
            { containerPort: 81, protocol: 'TCP' },
          ],
        }),
      ],
      annotatedOptions,
    );
    expect(targets.map((t) => [t.__address__, t.__scheme__])).toEqual([
      ['10.1.0.5:80', 'http'],
      ['10.1.0.5:81', 'http'],
    ]);
  });

  it('skips unannotated, finished, IP-less pods, init containers when annotated, and other namespaces', () => {
    const pods = [
      pod('plain', { ports: [{ containerPort: 80 }] }),
      pod('done', { annotations: scrape, ports: [{ containerPort: 80 }], phase: 'Succeeded' }),
      pod('pending', { annotations: scrape, ports: [{ containerPort: 80 }], ip: '' }),
      pod('init', { annotations: scrape, ports: [{ containerPort: 80 }], init: true }),
      pod('elsewhere', { annotations: scrape, ports: [{ containerPort: 80 }], namespace: 'kube-system' }),
      pod('kept', { annotations: scrape, ports: [{ containerPort: 80 }] }),
    ];
    expect(
      podTargets(pods, { ...annotatedOptions, namespaces: ['default'] }).map((t) => t.__meta_kubernetes_pod_name),
    ).toEqual(['kept']);
    expect(
      podTargets(pods, { ...annotatedOptions, annotated: false }).map((t) => t.__meta_kubernetes_pod_name),
    ).toEqual(['plain', 'init', 'elsewhere', 'kept']);
  });

  it('IPv6 pod IPs are bracketed', () => {
    expect(
      podTargets(
        [pod('v6', { annotations: { ...scrape, 'prometheus.io/port': '9100' }, ip: 'fd00::5' })],
        annotatedOptions,
      )[0]?.__address__,
    ).toBe('[fd00::5]:9100');
  });

  it('trimming keeps what discovery reads and drops the rest', () => {
    const full = pod('t', {
      annotations: { ...scrape, 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}' },
      ports: [{ containerPort: 80 }],
    });
    (full.metadata as Record<string, unknown>).managedFields = [{ manager: 'kubectl' }];
    const trimmed = trimPod(full);
    expect(JSON.stringify(trimmed)).not.toContain('managedFields');
    expect(JSON.stringify(trimmed)).not.toContain('last-applied');
    expect(podTargets([trimmed], annotatedOptions)).toEqual(
      podTargets([full], annotatedOptions).map((t) => {
        const {
          __meta_kubernetes_pod_annotation_kubectl_kubernetes_io_last_applied_configuration: _a,
          __meta_kubernetes_pod_annotationpresent_kubectl_kubernetes_io_last_applied_configuration: _b,
          ...rest
        } = t;
        return rest;
      }),
    );
  });
});

describe('node, service and control-plane targets', () => {
  const node = (name: string, addresses: { type: string; address: string }[], port?: number): KubeNode => ({
    metadata: { name, labels: { 'topology.kubernetes.io/zone': 'z1' } },
    status: { addresses, ...(port ? { daemonEndpoints: { kubeletEndpoint: { Port: port } } } : {}) },
  });

  it('node address preference and kubelet port; nodes without an address are skipped', () => {
    const targets = nodeTargets(
      [
        node(
          'a',
          [
            { type: 'Hostname', address: 'a.local' },
            { type: 'InternalIP', address: '10.0.0.1' },
          ],
          10255,
        ),
        node('b', [
          { type: 'ExternalIP', address: '203.0.113.9' },
          { type: 'Hostname', address: 'b.local' },
        ]),
        node('c', []),
      ],
      { metricsPath: '/metrics/resource', scheme: 'https' },
    );
    expect(targets.map((t) => [t.instance, t.__address__, t.__meta_kubernetes_node_address_Hostname])).toEqual([
      ['a', '10.0.0.1:10255', 'a.local'],
      ['b', '203.0.113.9:10250', 'b.local'],
    ]);
    expect(targets[0]).toMatchObject({
      __meta_kubernetes_node_label_topology_kubernetes_io_zone: 'z1',
      __metrics_path__: '/metrics/resource',
    });
  });

  it('annotated services: ready endpoints only, at the annotated port', () => {
    const service: KubeService = {
      metadata: { name: 's', namespace: 'ns', annotations: { ...scrape, 'prometheus.io/port': '9000' } },
    };
    const other: KubeService = { metadata: { name: 'quiet', namespace: 'ns' } };
    const slice = (svc: string): KubeEndpointSlice => ({
      metadata: { name: `${svc}-x`, namespace: 'ns', labels: { 'kubernetes.io/service-name': svc } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.2.0.1'], conditions: { ready: true } },
        { addresses: ['10.2.0.2'], conditions: { ready: false } },
      ],
      ports: [
        { name: 'web', port: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9000, protocol: 'TCP' },
      ],
    });
    const targets = serviceTargets([service, other], [slice('s'), slice('quiet')], {
      annotationPrefix: 'prometheus.io',
      namespaces: [],
      metricsPath: '/metrics',
      scheme: 'http',
    });
    expect(
      targets.map((t) => [
        t.__address__,
        t.__meta_kubernetes_service_name,
        t.__meta_kubernetes_endpointslice_port_name,
      ]),
    ).toEqual([['10.2.0.1:9000', 's', 'metrics']]);
  });

  it('API server endpoints only from the kubernetes service in default; static pods by component label', () => {
    const api: KubeEndpointSlice = {
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      endpoints: [{ addresses: ['192.0.2.1', '192.0.2.2'] }],
      ports: [{ name: 'https', port: 6443 }],
    };
    const fake: KubeEndpointSlice = { ...api, metadata: { ...api.metadata, namespace: 'evil' } };
    expect(apiServerTargets([api, fake]).map((t) => t.__address__)).toEqual(['192.0.2.1:6443', '192.0.2.2:6443']);
    const sched = pod('kube-scheduler-cp1', { namespace: 'kube-system', ip: '192.0.2.1' });
    sched.metadata.labels = { component: 'kube-scheduler', tier: 'control-plane' };
    const impostor = pod('kube-scheduler-x', { ip: '10.9.9.9' });
    impostor.metadata.labels = { component: 'kube-scheduler' };
    expect(staticPodTargets([sched, impostor], 'kube-scheduler').map((t) => [t.__address__, t.__scheme__])).toEqual([
      ['192.0.2.1:10259', 'https'],
    ]);
  });

  it('label names are sanitized as Prometheus does', () => {
    expect(sanitizeLabelName('app.kubernetes.io/name')).toBe('app_kubernetes_io_name');
    expect(sanitizeLabelName('a-b~c')).toBe('a_b_c');
  });
});
