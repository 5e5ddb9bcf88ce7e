import { randomUUID } from 'node:crypto';
import type { AuditDocument } from '../../../../core/audit-documents.ts';

/** Fields of a test event; the rest gets plausible defaults. */
export interface EventSpec {
  verb: string;
  user?: string;
  groups?: string[];
  as?: string;
  resource?: string;
  subresource?: string;
  apiGroup?: string;
  namespace?: string;
  name?: string;
  code?: number;
  time: string;
  level?: AuditDocument['level'];
  request?: unknown;
  response?: unknown;
  uri?: string;
  stage?: string;
  trimmed?: string[];
}

/** An audit document as the shipper stores it (an audit.k8s.io/v1 Event plus @timestamp). */
export function auditEvent(spec: EventSpec): AuditDocument {
  const ref =
    spec.resource === undefined
      ? undefined
      : {
          resource: spec.resource,
          ...(spec.subresource ? { subresource: spec.subresource } : {}),
          ...(spec.apiGroup ? { apiGroup: spec.apiGroup } : {}),
          ...(spec.namespace ? { namespace: spec.namespace } : {}),
          ...(spec.name ? { name: spec.name } : {}),
          apiVersion: 'v1',
        };
  return {
    level: spec.level ?? 'RequestResponse',
    auditID: randomUUID(),
    stage: spec.stage ?? 'ResponseComplete',
    requestURI:
      spec.uri ??
      `/api/v1/${spec.namespace ? `namespaces/${spec.namespace}/` : ''}${spec.resource ?? ''}${spec.name ? `/${spec.name}` : ''}`,
    verb: spec.verb,
    user: { username: spec.user ?? 'alice', groups: spec.groups ?? ['system:authenticated'] },
    ...(spec.as ? { impersonatedUser: { username: spec.as, groups: ['system:authenticated'] } } : {}),
    sourceIPs: ['10.1.2.3'],
    userAgent: 'kubectl/v1.35.4 (linux/amd64)',
    ...(ref ? { objectRef: ref } : {}),
    responseStatus: { code: spec.code ?? 200 },
    ...(spec.request !== undefined ? { requestObject: spec.request } : {}),
    ...(spec.response !== undefined ? { responseObject: spec.response } : {}),
    ...(spec.trimmed ? { objectTrimmed: spec.trimmed } : {}),
    requestReceivedTimestamp: spec.time,
    stageTimestamp: spec.time,
    '@timestamp': spec.time,
  };
}

/** A directory sink line for a document. */
export function sinkLine(doc: AuditDocument, id = `${doc.auditID}-${doc.stage}`): string {
  return `{"_index":"watchkeeper-audit-${doc['@timestamp']!.slice(0, 10).replaceAll('-', '.')}","_id":"${id}","doc":${JSON.stringify(doc)}}\n`;
}

/** A Deployment object with the given replicas and image. */
export function deployment(name: string, replicas: number, image = 'registry.example/web:1'): Record<string, unknown> {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name, namespace: 'shop', resourceVersion: String(replicas * 7) },
    spec: { replicas, template: { spec: { containers: [{ name: 'web', image }] } } },
  };
}
