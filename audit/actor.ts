import type { AuditDocument } from '../core/audit-documents.ts';

/** Who acted, in the terms an investigation needs. */
export type ActorKind = 'person' | 'controller' | 'node' | 'service-account' | 'anonymous' | 'system';

/** Service accounts of kube-system that belong to the control plane's controllers. */
const controllerAccount =
  /^system:serviceaccount:kube-system:[a-z0-9-]*(controller|autoscaler|operator|cleaner|approver|signer|publisher|binder)$/;

/**
 * Classifies a username: the controller manager and its controllers' service accounts (the HPA is
 * `horizontal-pod-autoscaler`), nodes (kubelets), other service accounts (workloads, operators),
 * the API server itself, anonymous requests, and everyone else: a person (or a tool with its
 * credentials).
 */
export function actorKind(username: string | undefined): ActorKind {
  const name = username ?? '';
  if (name === '' || name === 'system:anonymous') return 'anonymous';
  if (name === 'system:kube-controller-manager' || controllerAccount.test(name)) return 'controller';
  if (name === 'system:serviceaccount:kube-system:horizontal-pod-autoscaler') return 'controller';
  if (name.startsWith('system:node:')) return 'node';
  if (name.startsWith('system:serviceaccount:')) return 'service-account';
  if (name.startsWith('system:')) return 'system';
  return 'person';
}

/** The user an event acted as: the impersonated user when there is one. */
export function effectiveUser(event: AuditDocument): string {
  return event.impersonatedUser?.username ?? event.user?.username ?? '';
}

/** `user` or `user as impersonated` for display. */
export function userLabel(event: AuditDocument): string {
  const user = event.user?.username ?? '(none)';
  return event.impersonatedUser?.username ? `${user} as ${event.impersonatedUser.username}` : user;
}
