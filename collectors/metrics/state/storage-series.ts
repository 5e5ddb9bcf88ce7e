import type { KubePersistentVolume, KubePersistentVolumeClaim } from '../discovery/kube-objects.ts';
import { parseQuantity } from '../node/quantity.ts';
import type { StateEmitter } from './state-emitter.ts';

/** The phases of a PersistentVolumeClaim. */
const claimPhases = ['Pending', 'Bound', 'Lost'] as const;
/** The phases of a PersistentVolume. */
const volumePhases = ['Pending', 'Available', 'Bound', 'Released', 'Failed'] as const;

/** A storage quantity in bytes; a quantity that is not one is reported as a problem. */
function bytes(quantity: string | undefined, what: string, out: StateEmitter): number | undefined {
  if (quantity === undefined) return undefined;
  const value = parseQuantity(quantity);
  if (value === undefined) out.problem(`${what}: storage ${quantity} is not a quantity`);
  return value;
}

/** The kube_persistentvolumeclaim_* series of one claim. */
export function emitPersistentVolumeClaim(c: KubePersistentVolumeClaim, out: StateEmitter): void {
  const labels = { namespace: c.metadata.namespace ?? '', persistentvolumeclaim: c.metadata.name ?? '' };
  out.emit(
    'pvcInfo',
    { ...labels, storageclass: c.spec?.storageClassName ?? '', volumename: c.spec?.volumeName ?? '' },
    1,
  );
  out.emitPhase('pvcPhase', labels, claimPhases, c.status?.phase);
  const what = `persistentvolumeclaim ${labels.namespace}/${labels.persistentvolumeclaim}`;
  out.emit('pvcRequests', labels, bytes(c.spec?.resources?.requests?.storage, what, out));
}

/** The kube_persistentvolume_* series of one volume. */
export function emitPersistentVolume(v: KubePersistentVolume, out: StateEmitter): void {
  const labels = { persistentvolume: v.metadata.name ?? '' };
  out.emitPhase('pvPhase', labels, volumePhases, v.status?.phase);
  out.emit('pvCapacity', labels, bytes(v.spec?.capacity?.storage, `persistentvolume ${labels.persistentvolume}`, out));
  const claim = v.spec?.claimRef;
  if (claim?.name) out.emit('pvClaimRef', { ...labels, name: claim.name, claim_namespace: claim.namespace ?? '' }, 1);
}
