import type { AuditDocument } from '../core/audit-documents.ts';
import { actorKind } from './actor.ts';
import type { AuditLevel } from './levels.ts';
import type { Selector } from './query.ts';
import { writeVerbs } from './resource.ts';

/** How loud a finding is: critical pages, warning goes to a ticket. */
export type Severity = 'critical' | 'warning';

/**
 * One detection rule. `select` names the events it looks at (and lets Elasticsearch and the file
 * reader skip the rest); `test` refines on a selected event; `burst` turns single events into one
 * finding when `count` of them by the same user fall within `windowSeconds`.
 */
export interface AuditRule {
  /** Stable id, the `rule` label of watchkeeper_audit_findings_total. */
  id: string;
  title: string;
  severity: Severity;
  select: readonly Selector[];
  test?: (event: AuditDocument) => boolean;
  /** Audit level the test needs (bodies); events recorded below it are counted as not judged. */
  needs?: AuditLevel;
  burst?: { count: number; windowSeconds: number };
  /** Why it matters, for docs and runbooks. */
  why: string;
}

/** Controllers, kubelets and the API server itself: they read secrets and write RBAC as their job. */
function byControlPlane(event: AuditDocument): boolean {
  const kind = actorKind(event.user?.username);
  return kind === 'controller' || kind === 'node' || kind === 'system';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The pod spec of a created pod (the request, else the response). */
function podSpec(event: AuditDocument): Record<string, unknown> | undefined {
  for (const body of [event.requestObject, event.responseObject]) {
    if (isObject(body) && isObject(body.spec)) return body.spec;
  }
  return undefined;
}

function containersOf(spec: Record<string, unknown>): Record<string, unknown>[] {
  return ['initContainers', 'containers', 'ephemeralContainers']
    .flatMap((k) => (Array.isArray(spec[k]) ? (spec[k] as unknown[]) : []))
    .filter(isObject);
}

/** Privileged containers, or the host's PID, IPC or network namespaces. */
export function isPrivilegedPod(event: AuditDocument): boolean {
  const spec = podSpec(event);
  if (!spec) return false;
  if (spec.hostPID === true || spec.hostIPC === true || spec.hostNetwork === true) return true;
  return containersOf(spec).some((c) => isObject(c.securityContext) && c.securityContext.privileged === true);
}

/** A hostPath volume. */
export function hasHostPath(event: AuditDocument): boolean {
  const spec = podSpec(event);
  return Array.isArray(spec?.volumes) && spec.volumes.some((v) => isObject(v) && v.hostPath !== undefined);
}

function roleRefName(event: AuditDocument): unknown {
  for (const body of [event.requestObject, event.responseObject]) {
    if (isObject(body) && isObject(body.roleRef)) return body.roleRef.name;
  }
  return undefined;
}

/** Paths anyone may read in a default cluster (system:public-info-viewer, discovery of OIDC keys). */
const publicPaths = /^\/(healthz|livez|readyz|version|\.well-known\/openid-configuration|openid\/v1\/jwks)(\/|\?|$)/;

const secrets = ['secrets'];
const rbac = ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'];
const admission = [
  'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
];
const allowed = { maxCode: 299 };

/** The detection rules, in the order findings are shown. */
export const auditRules: readonly AuditRule[] = [
  {
    id: 'secrets-listed',
    title: 'Secrets listed or watched',
    severity: 'warning',
    select: [{ verbs: ['list', 'watch'], resources: secrets, subresources: [''], ...allowed }],
    test: (e) => !byControlPlane(e),
    why: 'A list or watch of Secrets returns every secret of the namespace (or cluster) at once: credentials in bulk.',
  },
  {
    id: 'secrets-read-in-bulk',
    title: 'Many Secrets read one by one',
    severity: 'warning',
    select: [{ verbs: ['get'], resources: secrets, subresources: [''], ...allowed }],
    test: (e) => !byControlPlane(e),
    burst: { count: 10, windowSeconds: 60 },
    why:
      'Ten or more Secret reads by one user within a minute look like harvesting rather than an ' +
      'application reading its own secret.',
  },
  {
    id: 'pod-exec',
    title: 'exec or attach into a pod',
    severity: 'warning',
    select: [{ resources: ['pods'], subresources: ['exec', 'attach'] }],
    why:
      'A shell in a running container bypasses the image and the deployment process; attempts are ' +
      'shown whether they were allowed or not.',
  },
  {
    id: 'privileged-pod',
    title: 'Privileged pod created',
    severity: 'critical',
    select: [{ verbs: ['create'], resources: ['pods'], subresources: [''], ...allowed }],
    test: isPrivilegedPod,
    needs: 'Request',
    why: 'A privileged container or one sharing the host PID, IPC or network namespace can take over its node.',
  },
  {
    id: 'hostpath-pod',
    title: 'Pod with a hostPath volume created',
    severity: 'critical',
    select: [{ verbs: ['create'], resources: ['pods'], subresources: [''], ...allowed }],
    test: hasHostPath,
    needs: 'Request',
    why: "A hostPath volume gives the pod the node's files: kubelet credentials, other pods' data, the container runtime socket.",
  },
  {
    id: 'cluster-admin-binding',
    title: 'Binding to cluster-admin created or changed',
    severity: 'critical',
    select: [
      {
        verbs: ['create', 'update', 'patch'],
        resources: ['clusterrolebindings', 'rolebindings'],
        subresources: [''],
        ...allowed,
      },
    ],
    test: (e) => !byControlPlane(e) && roleRefName(e) === 'cluster-admin',
    needs: 'Request',
    why: 'cluster-admin can do anything; a new binding to it is the classic persistence and escalation step.',
  },
  {
    id: 'anonymous-allowed',
    title: 'Anonymous request allowed',
    severity: 'critical',
    select: [
      { user: 'system:anonymous', maxCode: 399 },
      { group: 'system:unauthenticated', maxCode: 399 },
    ],
    test: (e) => !publicPaths.test(e.requestURI ?? ''),
    why:
      'An unauthenticated request that succeeded (beyond health and version endpoints) means RBAC ' +
      'grants something to everyone.',
  },
  {
    id: 'impersonation',
    title: 'Request with impersonation',
    severity: 'warning',
    select: [{ impersonated: true }],
    why:
      'Impersonation acts with another identity; the audit event names both, later events only ' +
      'the impersonated one.',
  },
  {
    id: 'token-for-other-serviceaccount',
    title: 'Token requested for another service account',
    severity: 'warning',
    select: [{ verbs: ['create'], resources: ['serviceaccounts'], subresources: ['token'], ...allowed }],
    test: (e) => {
      const ref = e.objectRef ?? {};
      const kind = actorKind(e.user?.username);
      return (
        kind !== 'node' &&
        kind !== 'controller' &&
        e.user?.username !== `system:serviceaccount:${ref.namespace}:${ref.name}`
      );
    },
    why: "A token for a service account other than one's own borrows that account's permissions.",
  },
  {
    id: 'admission-change',
    title: 'Admission webhook or policy changed',
    severity: 'critical',
    select: [{ verbs: writeVerbs, resources: admission, ...allowed }],
    why:
      'Admission webhooks see (and may change) every object written; a new or altered one can ' +
      'leak or tamper with everything.',
  },
  {
    id: 'rbac-change',
    title: 'RBAC changed',
    severity: 'warning',
    select: [{ verbs: writeVerbs, resources: rbac, subresources: [''], ...allowed }],
    test: (e) => !byControlPlane(e),
    why: 'Roles and bindings decide who may do what; changes outside the deployment pipeline deserve a look.',
  },
  {
    id: 'audit-config-change',
    title: 'Audit configuration changed',
    severity: 'critical',
    select: [
      { verbs: writeVerbs, resources: ['auditsinks'], ...allowed },
      { verbs: writeVerbs, resources: ['configmaps'], namespace: 'kube-system', ...allowed },
    ],
    test: (e) => e.objectRef?.resource === 'auditsinks' || /audit/.test(e.objectRef?.name ?? ''),
    why:
      'Whoever changes what is audited can hide what they do next. (The policy file itself is not ' +
      'an API object: watch it on the control-plane nodes.)',
  },
  {
    id: 'denied-burst',
    title: 'Burst of denied requests',
    severity: 'warning',
    select: [{ minCode: 401, maxCode: 403 }],
    test: (e) => e.responseStatus?.code !== 402 && !byControlPlane(e),
    burst: { count: 20, windowSeconds: 60 },
    why:
      'Twenty or more 401/403 answers to one user within a minute: a stolen credential being ' +
      'tried, or a tool probing what it may do.',
  },
];
