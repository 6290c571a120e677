import type { TenantScopeIds } from './scheduled-sync.contract';

/**
 * A workflow id for one tenant+environment that no other pair can share. Tenant and environment ids may contain any
 * separator, so joining them (`a-b` + `c` vs `a` + `b-c`) collides; the tenant id's length in front makes the split
 * unambiguous while the id stays readable in the Temporal UI.
 */
export function tenantWorkflowId(kind: string, scope: TenantScopeIds): string {
  return `${kind}-${scope.tenantId.length}:${scope.tenantId}-${scope.environmentId}`;
}

/** The scheduler's run for one tenant+environment: one id, so a run still in progress is found, not doubled. */
export function scheduledTenantSyncWorkflowId(scope: TenantScopeIds): string {
  return tenantWorkflowId('stripe-sync-scheduled', scope);
}
