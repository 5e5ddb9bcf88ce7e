import type { ObjectMeta } from '../../../core/kube/index.ts';
import type { Labels } from '../types.ts';
import type { KubeContainer, KubeEndpointSlice, KubeNode, KubePod, KubeService } from './kube-objects.ts';

/**
 * The `__meta_kubernetes_*` labels of Prometheus' kubernetes_sd_configs, so relabel_configs written for
 * Prometheus work unchanged. Empty values are left out (Prometheus drops empty labels before relabeling too).
 */

const prefix = '__meta_kubernetes_';

/** Prometheus' strutil.SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes `_`. */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function set(labels: Labels, name: string, value: string | undefined): void {
  if (value) labels[name] = value;
}

/**
 * `<role>_name`, `<role>_label_<k>`, `<role>_labelpresent_<k>`, `<role>_annotation_<k>`,
 * `<role>_annotationpresent_<k>`.
 */
export function addObjectMetaLabels(labels: Labels, meta: ObjectMeta, role: string): void {
  set(labels, `${prefix}${role}_name`, meta.name);
  for (const [k, v] of Object.entries(meta.labels ?? {})) {
    const name = sanitizeLabelName(k);
    set(labels, `${prefix}${role}_label_${name}`, v);
    labels[`${prefix}${role}_labelpresent_${name}`] = 'true';
  }
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    const name = sanitizeLabelName(k);
    set(labels, `${prefix}${role}_annotation_${name}`, v);
    labels[`${prefix}${role}_annotationpresent_${name}`] = 'true';
  }
}

/**
 * The address Prometheus scrapes a node at: the first of InternalIP, InternalDNS, ExternalIP, ExternalDNS,
 * LegacyHostIP, Hostname.
 */
export function nodeAddress(node: KubeNode): string | undefined {
  const addresses = node.status?.addresses ?? [];
  for (const type of ['InternalIP', 'InternalDNS', 'ExternalIP', 'ExternalDNS', 'LegacyHostIP', 'Hostname']) {
    const found = addresses.find((a) => a.type === type);
    if (found) return found.address;
  }
  return undefined;
}

/** Labels of a node target (role node), without `__address__`. `instance` is the node name as in Prometheus. */
export function nodeLabels(node: KubeNode): Labels {
  const labels: Labels = {};
  set(labels, `${prefix}node_provider_id`, node.spec?.providerID);
  addObjectMetaLabels(labels, node.metadata, 'node');
  for (const a of node.status?.addresses ?? []) {
    const name = `${prefix}node_address_${sanitizeLabelName(a.type)}`;
    if (!labels[name]) set(labels, name, a.address);
  }
  set(labels, 'instance', node.metadata.name);
  return labels;
}

/** Pod-level labels (role pod): namespace, name, IPs, phase, readiness, node, uid, controller, labels, annotations. */
export function podLabels(pod: KubePod): Labels {
  const labels: Labels = {};
  set(labels, `${prefix}namespace`, pod.metadata.namespace);
  set(labels, `${prefix}pod_ip`, pod.status?.podIP);
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  labels[`${prefix}pod_ready`] = (ready ?? 'Unknown').toLowerCase();
  set(labels, `${prefix}pod_phase`, pod.status?.phase);
  set(labels, `${prefix}pod_node_name`, pod.spec?.nodeName);
  set(labels, `${prefix}pod_host_ip`, pod.status?.hostIP);
  set(labels, `${prefix}pod_uid`, pod.metadata.uid);
  addObjectMetaLabels(labels, pod.metadata, 'pod');
  const controller = pod.metadata.ownerReferences?.find((o) => o.controller);
  set(labels, `${prefix}pod_controller_kind`, controller?.kind);
  set(labels, `${prefix}pod_controller_name`, controller?.name);
  return labels;
}

/** Container-level labels of a pod target; `port` when the target is one of the container's ports. */
export function containerLabels(
  pod: KubePod,
  container: KubeContainer,
  init: boolean,
  port?: NonNullable<KubeContainer['ports']>[number],
): Labels {
  const labels: Labels = {};
  set(labels, `${prefix}pod_container_name`, container.name);
  set(
    labels,
    `${prefix}pod_container_id`,
    pod.status?.containerStatuses?.find((s) => s.name === container.name)?.containerID,
  );
  set(labels, `${prefix}pod_container_image`, container.image);
  labels[`${prefix}pod_container_init`] = String(init);
  if (port) {
    labels[`${prefix}pod_container_port_number`] = String(port.containerPort);
    set(labels, `${prefix}pod_container_port_name`, port.name);
    labels[`${prefix}pod_container_port_protocol`] = port.protocol ?? 'TCP';
  }
  return labels;
}

/** Service labels (role endpointslice / service): namespace, name, labels, annotations, type, cluster IP. */
export function serviceLabels(service: KubeService): Labels {
  const labels: Labels = {};
  set(labels, `${prefix}namespace`, service.metadata.namespace);
  addObjectMetaLabels(labels, service.metadata, 'service');
  set(labels, `${prefix}service_type`, service.spec?.type);
  set(labels, `${prefix}service_cluster_ip`, service.spec?.clusterIP);
  return labels;
}

/** Labels of one endpoint and port of an EndpointSlice (role endpointslice). */
export function endpointLabels(
  slice: KubeEndpointSlice,
  endpoint: NonNullable<KubeEndpointSlice['endpoints']>[number],
  port: NonNullable<KubeEndpointSlice['ports']>[number],
): Labels {
  const labels: Labels = {};
  set(labels, `${prefix}namespace`, slice.metadata.namespace);
  addObjectMetaLabels(labels, slice.metadata, 'endpointslice');
  set(labels, `${prefix}endpointslice_address_type`, slice.addressType);
  set(labels, `${prefix}endpointslice_port_name`, port.name);
  if (port.port !== undefined) labels[`${prefix}endpointslice_port`] = String(port.port);
  set(labels, `${prefix}endpointslice_port_protocol`, port.protocol);
  set(labels, `${prefix}endpointslice_port_app_protocol`, port.appProtocol);
  const c = endpoint.conditions ?? {};
  if (c.ready !== undefined) labels[`${prefix}endpointslice_endpoint_conditions_ready`] = String(c.ready);
  if (c.serving !== undefined) labels[`${prefix}endpointslice_endpoint_conditions_serving`] = String(c.serving);
  if (c.terminating !== undefined)
    labels[`${prefix}endpointslice_endpoint_conditions_terminating`] = String(c.terminating);
  set(labels, `${prefix}endpointslice_endpoint_hostname`, endpoint.hostname);
  set(labels, `${prefix}endpointslice_endpoint_node_name`, endpoint.nodeName);
  set(labels, `${prefix}endpointslice_address_target_kind`, endpoint.targetRef?.kind);
  set(labels, `${prefix}endpointslice_address_target_name`, endpoint.targetRef?.name);
  return labels;
}

/** host:port, with brackets for IPv6 hosts (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
