import { WatchkeeperError } from '../core/errors.ts';
import type { Selector } from './query.ts';

/** kubectl's short and singular names of common resources, to their plural resource name. */
const aliases: Record<string, string> = {
  po: 'pods',
  pod: 'pods',
  deploy: 'deployments',
  deployment: 'deployments',
  rs: 'replicasets',
  replicaset: 'replicasets',
  sts: 'statefulsets',
  statefulset: 'statefulsets',
  ds: 'daemonsets',
  daemonset: 'daemonsets',
  svc: 'services',
  service: 'services',
  cm: 'configmaps',
  configmap: 'configmaps',
  secret: 'secrets',
  ns: 'namespaces',
  namespace: 'namespaces',
  no: 'nodes',
  node: 'nodes',
  sa: 'serviceaccounts',
  serviceaccount: 'serviceaccounts',
  job: 'jobs',
  cj: 'cronjobs',
  cronjob: 'cronjobs',
  ing: 'ingresses',
  ingress: 'ingresses',
  hpa: 'horizontalpodautoscalers',
  pvc: 'persistentvolumeclaims',
  pv: 'persistentvolumes',
  role: 'roles',
  rolebinding: 'rolebindings',
  clusterrole: 'clusterroles',
  clusterrolebinding: 'clusterrolebindings',
  crd: 'customresourcedefinitions',
  ep: 'endpoints',
  netpol: 'networkpolicies',
};

/** A resource (and maybe object) named on the command line. */
export interface ResourceRef {
  resource: string;
  apiGroup?: string;
  name?: string;
}

/** Parses `<resource>[.<group>][/<name>]`, e.g. `pods/web-0`, `deploy/web`, `deployments.apps/web`. */
export function parseResourceRef(text: string, nameRequired = false): ResourceRef {
  const match = /^([a-z0-9-]+)((?:\.[a-z0-9-]+)*)(?:\/([a-z0-9][a-z0-9.:-]*))?$/.exec(text);
  if (!match)
    throw new WatchkeeperError(
      'usage',
      `expected <resource>[/<name>] such as pods/web-0 or deployments.apps/web, found "${text}"`,
    );
  if (nameRequired && match[3] === undefined)
    throw new WatchkeeperError('usage', `expected <resource>/<name> such as deployments/web, found "${text}"`);
  const resource = aliases[match[1]!] ?? match[1]!;
  return {
    resource,
    ...(match[2] ? { apiGroup: match[2].slice(1) } : {}),
    ...(match[3] !== undefined ? { name: match[3] } : {}),
  };
}

/** The questions' verbs: audit verbs, or an action that is a verb on a subresource. */
export interface VerbSpec {
  verbs: readonly string[];
  subresources: readonly string[];
  /** True when the action changes the object, so an answer shows what changed. */
  changes: boolean;
}

const writes = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** Words `audit who` accepts, and what they mean in audit events. */
export const verbSpecs: Record<string, VerbSpec> = {
  create: { verbs: ['create'], subresources: [''], changes: true },
  update: { verbs: ['update'], subresources: [''], changes: true },
  patch: { verbs: ['patch'], subresources: [''], changes: true },
  delete: { verbs: ['delete', 'deletecollection'], subresources: [''], changes: true },
  get: { verbs: ['get'], subresources: [''], changes: false },
  list: { verbs: ['list'], subresources: [''], changes: false },
  watch: { verbs: ['watch'], subresources: [''], changes: false },
  change: { verbs: writes, subresources: ['', 'scale', 'status'], changes: true },
  scale: { verbs: ['update', 'patch'], subresources: ['scale'], changes: true },
  exec: { verbs: ['create', 'get'], subresources: ['exec'], changes: false },
  attach: { verbs: ['create', 'get'], subresources: ['attach'], changes: false },
  portforward: { verbs: ['create', 'get'], subresources: ['portforward'], changes: false },
};

/** The spec of a verb word, or a usage error listing the accepted words. */
export function verbSpec(word: string): VerbSpec {
  const spec = verbSpecs[word.toLowerCase()];
  if (!spec)
    throw new WatchkeeperError('usage', `unknown verb "${word}": expected one of ${Object.keys(verbSpecs).join(', ')}`);
  return spec;
}

/** The selector of a resource reference (all its subresources unless given). */
export function resourceSelector(
  ref: ResourceRef,
  namespace: string | undefined,
  extra: Partial<Selector> = {},
): Selector {
  return {
    resources: [ref.resource],
    ...(ref.apiGroup !== undefined ? { apiGroups: [ref.apiGroup] } : {}),
    ...(ref.name !== undefined ? { name: ref.name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...extra,
  };
}

/** Audit verbs that write an object. */
export const writeVerbs: readonly string[] = writes;
