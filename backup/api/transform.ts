import { WatchkeeperError } from '../../core/errors.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import { qualifiedName } from './discovery.ts';
import { backupIdLabel, restoreIdLabel } from './policy.ts';

/** How {@link prepareForRestore} changes an object. */
export interface TransformOptions {
  /** old namespace -> new namespace. */
  namespaceMap: ReadonlyMap<string, string>;
  backupId: string;
  restoreId: string;
  keepManagedFields: boolean;
  keepStatus: boolean;
  /** New uid of an owner restored earlier, by its uid in the backup; ownerReferences to anything else are dropped. */
  ownerUid: (oldUid: string) => string | undefined;
}

/** Labels the job controller adds and derives from the Job's own uid, which changes on restore. */
const jobControllerLabels = ['controller-uid', 'batch.kubernetes.io/controller-uid'];

/**
 * Turns a backed-up object into one the API server accepts as new: strips what the server owns
 * (uid, resourceVersion, generation, creationTimestamp, selfLink, deletion fields, managedFields,
 * status), drops ownerReferences to objects this restore does not recreate (and points the others
 * at the new uids), moves it to its mapped namespace (with the references Kubernetes defines:
 * binding subjects, a PV's claimRef), lets a PVC bind again to its PV, lets the cluster allocate Service IPs and Job selectors
 * again, and labels it with the backup and restore ids. Returns a new object; the input is not changed.
 */
export function prepareForRestore(
  ref: { group: string; resource: string },
  input: KubeObject,
  options: TransformOptions,
): { object: KubeObject; droppedOwners: number } {
  const object = structuredClone(input);
  const meta = object.metadata as Record<string, unknown> & KubeObject['metadata'];
  for (const field of [
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'selfLink',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
  ])
    delete meta[field];
  if (!options.keepManagedFields) delete meta.managedFields;
  if (!options.keepStatus) delete object.status;
  let droppedOwners = 0;
  if (meta.ownerReferences) {
    const kept: NonNullable<KubeObject['metadata']['ownerReferences']> = [];
    for (const owner of meta.ownerReferences) {
      const uid = options.ownerUid(owner.uid);
      if (uid) kept.push({ ...owner, uid });
      else droppedOwners++;
    }
    if (kept.length > 0) meta.ownerReferences = kept;
    else delete meta.ownerReferences;
  }
  const mapNs = (ns: string): string => options.namespaceMap.get(ns) ?? ns;
  if (meta.namespace) meta.namespace = mapNs(meta.namespace);
  const kind = qualifiedName(ref);
  if (kind === 'namespaces' && meta.name) meta.name = mapNs(meta.name);
  if (kind === 'rolebindings.rbac.authorization.k8s.io' || kind === 'clusterrolebindings.rbac.authorization.k8s.io') {
    for (const subject of (object.subjects as { kind?: string; namespace?: string }[] | undefined) ?? []) {
      if (subject.namespace) subject.namespace = mapNs(subject.namespace);
    }
  }
  const spec = object.spec as Record<string, unknown> | undefined;
  if (kind === 'persistentvolumes' && spec?.claimRef) {
    const claimRef = spec.claimRef as Record<string, unknown>;
    // The claim is recreated with a new uid: a claimRef still naming the old one would leave the PV Released.
    delete claimRef.uid;
    delete claimRef.resourceVersion;
    if (typeof claimRef.namespace === 'string') claimRef.namespace = mapNs(claimRef.namespace);
  }
  if (kind === 'persistentvolumeclaims' && meta.annotations) {
    // Without bind-completed the PV controller treats the claim as pre-bound to spec.volumeName and
    // binds both (setting the PV's claimRef to the new uid); with it, it would find the PV's claimRef
    // without that uid and mark the claim Lost.
    delete meta.annotations['pv.kubernetes.io/bind-completed'];
  }
  if (kind === 'services' && spec && spec.clusterIP !== 'None') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  if (kind === 'jobs.batch' && spec && (spec.manualSelector as boolean | undefined) !== true) {
    delete spec.selector;
    const templateLabels = (spec.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata
      ?.labels;
    for (const label of jobControllerLabels) {
      if (templateLabels) delete templateLabels[label];
      if (meta.labels) delete meta.labels[label];
    }
  }
  meta.labels = { ...meta.labels, [backupIdLabel]: options.backupId, [restoreIdLabel]: options.restoreId };
  return { object, droppedOwners };
}

/** The namespace map of `--namespace-map old:new` flags; throws on a malformed pair. */
export function parseNamespaceMap(pairs: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  const name = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
  for (const pair of pairs) {
    const [from, to, extra] = pair.split(':');
    if (extra !== undefined || !from || !to || !name.test(from) || !name.test(to)) {
      throw new WatchkeeperError(
        'usage',
        `--namespace-map: expected old:new with two namespace names (e.g. prod:prod-restored), found "${pair}"`,
      );
    }
    if (map.has(from)) throw new WatchkeeperError('usage', `--namespace-map: namespace "${from}" is mapped twice`);
    map.set(from, to);
  }
  return map;
}
