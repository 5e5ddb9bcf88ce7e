import type { KubeObject } from '../../../core/kube/index.ts';

/** The fields of a Node that discovery reads. */
export interface KubeNode extends KubeObject {
  spec?: { providerID?: string };
  status?: {
    addresses?: { type: string; address: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
  };
}

/** A container (or init container) as discovery reads it. */
export interface KubeContainer {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  resources?: { requests?: Record<string, string> };
}

/** The fields of a Pod that discovery reads. */
export interface KubePod extends KubeObject {
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers?: KubeContainer[];
    initContainers?: KubeContainer[];
    overhead?: Record<string, string>;
  };
  status?: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; containerID?: string }[];
  };
}

/** The fields of a Service that discovery reads. */
export interface KubeService extends KubeObject {
  spec?: { type?: string; clusterIP?: string; ports?: { name?: string; port: number; protocol?: string }[] };
}

/** The fields of a discovery.k8s.io/v1 EndpointSlice that discovery reads. */
export interface KubeEndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    nodeName?: string;
    hostname?: string;
    targetRef?: { kind?: string; name?: string; namespace?: string };
  }[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}
