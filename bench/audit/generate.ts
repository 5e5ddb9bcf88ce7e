// A day of audit events of a busy cluster, written as the directory sink writes them
// ({"_index","_id","doc"} lines, rotated files of 128 MiB), in time order. Deterministic (seeded).
import { createWriteStream, mkdirSync, renameSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { AuditDocument } from '../../core/audit-documents.ts';

/** What the generator put in, so the benchmark can check the answers. */
export interface GeneratedDay {
  files: string[];
  events: number;
  bytes: number;
  since: Date;
  until: Date;
  /** Deletes of pods/web-42 in namespace shop. */
  web42Deletes: number;
  /** Writes to deployments/web in namespace shop. */
  webWrites: number;
  /** Events by alice. */
  aliceEvents: number;
}

let seed = 42;
function random(): number {
  // Math.imul keeps the product in 32 bits; a plain multiplication loses the low bits and cycles early.
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

const namespaces = ['shop', 'payments', 'search', 'auth', 'ingest', 'billing', 'mail', 'ml', 'web', 'api'];
const people = ['alice', 'bob', 'carol', 'dave'];
const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
/** A unique audit ID per event: random, with the event's number in the last group. */
const uuid = (n: number): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${n.toString(16).padStart(12, '0')}`;

function deploymentBody(name: string, ns: string, replicas: number, image: string): Record<string, unknown> {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name, namespace: ns, labels: { app: name }, resourceVersion: String(Math.floor(random() * 1e7)) },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name, image, ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '100m' } } }],
        },
      },
    },
  };
}

interface Shape {
  user: string;
  groups: string[];
  verb: string;
  resource: string;
  apiGroup?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  code?: number;
  level?: AuditDocument['level'];
  request?: unknown;
  response?: unknown;
  agent: string;
}

function event(shape: Shape, time: Date, n: number): AuditDocument {
  const ref = {
    resource: shape.resource,
    ...(shape.namespace ? { namespace: shape.namespace } : {}),
    ...(shape.name ? { name: shape.name } : {}),
    ...(shape.apiGroup ? { apiGroup: shape.apiGroup } : {}),
    apiVersion: 'v1',
    ...(shape.subresource ? { subresource: shape.subresource } : {}),
  };
  const base = shape.apiGroup ? `/apis/${shape.apiGroup}/v1` : '/api/v1';
  const iso = time.toISOString();
  const received = new Date(time.getTime() - 3).toISOString();
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: shape.level ?? 'Metadata',
    auditID: uuid(n),
    stage: 'ResponseComplete',
    requestURI: `${base}${shape.namespace ? `/namespaces/${shape.namespace}` : ''}/${shape.resource}${shape.name ? `/${shape.name}` : ''}${shape.subresource ? `/${shape.subresource}` : ''}`,
    verb: shape.verb,
    user: { username: shape.user, groups: shape.groups },
    sourceIPs: [`10.${Math.floor(random() * 4)}.${Math.floor(random() * 250)}.${Math.floor(random() * 250)}`],
    userAgent: shape.agent,
    objectRef: ref,
    responseStatus: { metadata: {}, code: shape.code ?? 200 },
    ...(shape.request !== undefined ? { requestObject: shape.request } : {}),
    ...(shape.response !== undefined ? { responseObject: shape.response } : {}),
    requestReceivedTimestamp: received,
    stageTimestamp: iso,
    annotations: {
      'authorization.k8s.io/decision': (shape.code ?? 200) === 403 ? 'forbid' : 'allow',
      'authorization.k8s.io/reason': '',
    },
    '@timestamp': iso,
  } as AuditDocument;
}

const kubeletAgent = 'kubelet/v1.35.4 (linux/amd64) kubernetes/abcdef0';
const kcmAgent =
  'kube-controller-manager/v1.35.4 (linux/amd64) kubernetes/abcdef0/system:serviceaccount:kube-system:replicaset-controller';
const kubectl = 'kubectl/v1.35.4 (linux/amd64) kubernetes/abcdef0';
const nodes = (i: number): string => `system:node:node-${i % 50}`;

/** One random background event: kubelets, controllers, the HPA, workloads' service accounts, people, denials. */
function background(): Shape {
  const r = random();
  const ns = pick(namespaces);
  const pod = `web-${Math.floor(random() * 500)}`;
  if (r < 0.4) {
    return {
      user: nodes(Math.floor(random() * 50)),
      groups: ['system:nodes', 'system:authenticated'],
      verb: pick(['get', 'get', 'watch', 'list']),
      resource: pick(['pods', 'configmaps', 'secrets', 'services']),
      namespace: ns,
      name: pod,
      agent: kubeletAgent,
    };
  }
  if (r < 0.62) {
    return {
      user: 'system:kube-controller-manager',
      groups: ['system:authenticated'],
      verb: pick(['update', 'get', 'list']),
      resource: pick(['replicasets', 'deployments']),
      apiGroup: 'apps',
      subresource: 'status',
      namespace: ns,
      name: `app-${Math.floor(random() * 100)}`,
      agent: kcmAgent,
    };
  }
  if (r < 0.7) {
    const replicas = 2 + Math.floor(random() * 20);
    return {
      user: 'system:serviceaccount:kube-system:horizontal-pod-autoscaler',
      groups: ['system:serviceaccounts', 'system:authenticated'],
      verb: 'patch',
      resource: 'deployments',
      apiGroup: 'apps',
      subresource: 'scale',
      namespace: ns,
      name: `app-${Math.floor(random() * 100)}`,
      level: 'RequestResponse',
      request: { spec: { replicas } },
      response: { kind: 'Scale', spec: { replicas } },
      agent: kcmAgent,
    };
  }
  if (r < 0.86) {
    return {
      user: `system:serviceaccount:${ns}:app-${Math.floor(random() * 100)}`,
      groups: ['system:serviceaccounts', 'system:authenticated'],
      verb: pick(['get', 'list', 'watch']),
      resource: pick(['configmaps', 'endpoints', 'pods']),
      namespace: ns,
      agent: 'app/1.0',
    };
  }
  if (r < 0.97) {
    const user = pick(people.slice(1));
    const verb = pick(['get', 'get', 'list', 'create', 'patch', 'delete']);
    const write = verb === 'create' || verb === 'patch';
    return {
      user,
      groups: ['developers', 'system:authenticated'],
      verb,
      resource: pick(['pods', 'deployments', 'services']),
      namespace: ns,
      name: pod,
      ...(write
        ? { level: 'RequestResponse' as const, request: deploymentBody(pod, ns, 3, 'registry.example/app:1') }
        : {}),
      agent: kubectl,
    };
  }
  return {
    user: `system:serviceaccount:${ns}:app-${Math.floor(random() * 100)}`,
    groups: ['system:serviceaccounts', 'system:authenticated'],
    verb: 'list',
    resource: 'secrets',
    namespace: 'kube-system',
    code: 403,
    agent: 'app/1.0',
  };
}

/** Writes `total` events spread over the last 24 hours into `dir` and returns what it wrote. */
export async function generateDay(dir: string, total: number, maxFileBytes = 128 * 1024 * 1024): Promise<GeneratedDay> {
  mkdirSync(dir, { recursive: true });
  const until = new Date();
  const since = new Date(until.getTime() - 24 * 3600_000);
  const step = (until.getTime() - since.getTime() - 60_000) / total;
  const day: GeneratedDay = {
    files: [],
    events: 0,
    bytes: 0,
    since,
    until,
    web42Deletes: 0,
    webWrites: 0,
    aliceEvents: 0,
  };
  let out: WriteStream = createWriteStream(path.join(dir, 'current.ndjson'));
  let fileBytes = 0;
  let replicas = 3;
  for (let i = 0; i < total; i++) {
    const time = new Date(since.getTime() + 30_000 + i * step);
    let shape: Shape;
    if (i % 5000 === 17) {
      // The HPA scales shop/web about 200 times a day; bob changes its image now and then.
      const byBob = i % 50_000 === 17;
      replicas = byBob ? replicas : 2 + ((replicas + 7) % 30);
      shape = byBob
        ? {
            user: 'bob',
            groups: ['developers', 'system:authenticated'],
            verb: 'patch',
            resource: 'deployments',
            apiGroup: 'apps',
            namespace: 'shop',
            name: 'web',
            level: 'RequestResponse',
            request: {
              spec: { template: { spec: { containers: [{ name: 'web', image: `registry.example/web:${i}` }] } } },
            },
            response: deploymentBody('web', 'shop', replicas, `registry.example/web:${i}`),
            agent: kubectl,
          }
        : {
            user: 'system:serviceaccount:kube-system:horizontal-pod-autoscaler',
            groups: ['system:serviceaccounts', 'system:authenticated'],
            verb: 'patch',
            resource: 'deployments',
            apiGroup: 'apps',
            subresource: 'scale',
            namespace: 'shop',
            name: 'web',
            level: 'RequestResponse',
            request: { spec: { replicas } },
            response: { kind: 'Scale', spec: { replicas } },
            agent: kcmAgent,
          };
      day.webWrites++;
    } else if (i % 1000 === 3) {
      shape = {
        user: 'alice',
        groups: ['sre', 'system:authenticated'],
        verb: pick(['get', 'list', 'get', 'create', 'delete']),
        resource: pick(['pods', 'nodes', 'events']),
        namespace: pick(namespaces),
        name: `web-${Math.floor(random() * 500)}`,
        agent: kubectl,
      };
      day.aliceEvents++;
    } else if (i >= Math.floor(total * 0.5) && i < Math.floor(total * 0.5) + 25) {
      // A stolen token being tried: 25 denials within seconds.
      shape = {
        user: 'eve',
        groups: ['system:authenticated'],
        verb: 'list',
        resource: 'secrets',
        namespace: pick(namespaces),
        code: 403,
        agent: 'curl/8.5.0',
      };
    } else if (i === Math.floor(total * 0.6)) {
      shape = {
        user: 'dave',
        groups: ['developers', 'system:authenticated'],
        verb: 'create',
        resource: 'pods',
        subresource: 'exec',
        namespace: 'shop',
        name: 'web-7',
        agent: kubectl,
      };
    } else if (i === Math.floor(total * 0.6) + 1) {
      shape = {
        user: 'dave',
        groups: ['developers', 'system:authenticated'],
        verb: 'create',
        resource: 'clusterrolebindings',
        apiGroup: 'rbac.authorization.k8s.io',
        name: 'dave-admin',
        level: 'RequestResponse',
        request: {
          roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'User', name: 'dave' }],
        },
        agent: kubectl,
      };
    } else if (i === Math.floor(total * 0.7)) {
      shape = {
        user: 'carol',
        groups: ['developers', 'system:authenticated'],
        verb: 'delete',
        resource: 'pods',
        namespace: 'shop',
        name: 'web-42',
        agent: kubectl,
      };
      day.web42Deletes++;
    } else {
      shape = background();
      if (shape.verb === 'delete' && shape.resource === 'pods' && shape.namespace === 'shop' && shape.name === 'web-42')
        day.web42Deletes++;
    }
    const doc = event(shape, time, i);
    const line = `{"_index":"watchkeeper-audit-${doc['@timestamp']!.slice(0, 10).replaceAll('-', '.')}","_id":"${doc.auditID}-ResponseComplete","doc":${JSON.stringify(doc)}}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    fileBytes += Buffer.byteLength(line);
    day.bytes += Buffer.byteLength(line);
    day.events++;
    if (fileBytes >= maxFileBytes) {
      await new Promise<void>((resolve) => out.end(() => resolve()));
      const rotated = path.join(dir, `events-${time.toISOString().replace(/[:.]/g, '-')}.ndjson`);
      renameSync(path.join(dir, 'current.ndjson'), rotated);
      day.files.push(rotated);
      out = createWriteStream(path.join(dir, 'current.ndjson'));
      fileBytes = 0;
    }
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  day.files.push(path.join(dir, 'current.ndjson'));
  return day;
}
