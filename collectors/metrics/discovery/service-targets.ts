import { objectKey } from '../../../core/kube/index.ts';
import type { TargetLabels } from '../types.ts';
import type { KubeEndpointSlice, KubeService } from './kube-objects.ts';
import { endpointLabels, joinHostPort, serviceLabels } from './meta-labels.ts';

/** The label EndpointSlices carry to name their service. */
export const serviceNameLabel = 'kubernetes.io/service-name';

/** How annotated services become targets. */
export interface ServiceTargetOptions {
  annotationPrefix: string;
  namespaces: readonly string[];
  metricsPath: string;
  scheme: string;
}

/**
 * Role service (through EndpointSlices): for each service annotated `<prefix>/scrape: "true"`, one target per
 * endpoint address that is not known to be unready, at the annotated port or at each TCP port of the slice,
 * with Prometheus' `__meta_kubernetes_service_*` and `__meta_kubernetes_endpointslice_*` labels.
 */
export function serviceTargets(
  services: Iterable<KubeService>,
  slices: Iterable<KubeEndpointSlice>,
  options: ServiceTargetOptions,
): TargetLabels[] {
  const namespaces = new Set(options.namespaces);
  const annotated = new Map<string, KubeService>();
  for (const service of services) {
    if (namespaces.size > 0 && !namespaces.has(service.metadata.namespace ?? '')) continue;
    if (service.metadata.annotations?.[`${options.annotationPrefix}/scrape`] === 'true')
      annotated.set(objectKey(service), service);
  }
  const targets: TargetLabels[] = [];
  for (const slice of slices) {
    const serviceName = slice.metadata.labels?.[serviceNameLabel];
    const service = serviceName ? annotated.get(`${slice.metadata.namespace ?? ''}/${serviceName}`) : undefined;
    if (!service) continue;
    const annotations = service.metadata.annotations ?? {};
    const annotation = (name: string) => annotations[`${options.annotationPrefix}/${name}`];
    const port = Number(annotation('port'));
    const scheme =
      annotation('scheme') === 'https' || annotation('scheme') === 'http' ? annotation('scheme')! : options.scheme;
    const path = annotation('path') || options.metricsPath;
    const ports =
      Number.isInteger(port) && port > 0 && port < 65536
        ? [slice.ports?.find((p) => p.port === port) ?? { port }]
        : (slice.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP' && p.port !== undefined);
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const p of ports) {
        for (const address of endpoint.addresses) {
          targets.push({
            ...serviceLabels(service),
            ...endpointLabels(slice, endpoint, p),
            __address__: joinHostPort(address, p.port ?? 0),
            __metrics_path__: path,
            __scheme__: scheme,
          });
        }
      }
    }
  }
  return targets;
}
