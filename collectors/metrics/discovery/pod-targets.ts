import type { TargetLabels } from '../types.ts';
import type { KubePod } from './kube-objects.ts';
import { containerLabels, joinHostPort, podLabels } from './meta-labels.ts';

/** How pods become targets. */
export interface PodTargetOptions {
  /**
   * Only pods annotated `<prefix>/scrape: "true"`; `<prefix>/port`, `/path` and `/scheme` then say where.
   * Off: every container port of every running pod, as Prometheus' role pod gives them.
   */
  annotated: boolean;
  /** Annotation prefix, `prometheus.io` by default. */
  annotationPrefix: string;
  /** Only pods of these namespaces (empty: all). */
  namespaces: readonly string[];
  /** Metrics path when no annotation says otherwise. */
  metricsPath: string;
  scheme: string;
}

/**
 * Role pod: targets of running pods with an IP, with Prometheus' `__meta_kubernetes_pod_*` labels. Annotated:
 * one target per pod, at the annotated port (labelled with the container declaring it, if one does) or, without
 * a port annotation, at each declared TCP container port. Pods that finished (Succeeded, Failed) are left out.
 */
export function podTargets(pods: Iterable<KubePod>, options: PodTargetOptions): TargetLabels[] {
  const targets: TargetLabels[] = [];
  const namespaces = new Set(options.namespaces);
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    const phase = pod.status?.phase;
    if (!ip || phase === 'Succeeded' || phase === 'Failed') continue;
    if (namespaces.size > 0 && !namespaces.has(pod.metadata.namespace ?? '')) continue;
    const annotations = pod.metadata.annotations ?? {};
    const annotation = (name: string) => annotations[`${options.annotationPrefix}/${name}`];
    if (options.annotated && annotation('scrape') !== 'true') continue;
    const base = podLabels(pod);
    const scheme =
      options.annotated && (annotation('scheme') === 'https' || annotation('scheme') === 'http')
        ? annotation('scheme')!
        : options.scheme;
    const path = (options.annotated && annotation('path')) || options.metricsPath;
    const common = { __metrics_path__: path, __scheme__: scheme };
    const containers = [
      ...(pod.spec?.containers ?? []).map((c) => ({ c, init: false })),
      ...(pod.spec?.initContainers ?? []).map((c) => ({ c, init: true })),
    ];
    const annotatedPort = options.annotated ? Number(annotation('port')) : NaN;
    if (Number.isInteger(annotatedPort) && annotatedPort > 0 && annotatedPort < 65536) {
      const owner = containers.flatMap(({ c, init }) =>
        (c.ports ?? []).filter((p) => p.containerPort === annotatedPort).map((p) => ({ c, init, p })),
      )[0];
      targets.push({
        ...base,
        ...(owner ? containerLabels(pod, owner.c, owner.init, owner.p) : {}),
        ...common,
        __address__: joinHostPort(ip, annotatedPort),
      });
      continue;
    }
    for (const { c, init } of containers) {
      if (init && options.annotated) continue;
      for (const p of c.ports ?? []) {
        if ((p.protocol ?? 'TCP') !== 'TCP') continue;
        targets.push({
          ...base,
          ...containerLabels(pod, c, init, p),
          ...common,
          __address__: joinHostPort(ip, p.containerPort),
        });
      }
    }
  }
  return targets;
}
