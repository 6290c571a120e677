import { createHash } from 'node:crypto';

/** What makes two manual syncs the same sync. */
export interface ManualSyncIdentity {
  tenantId: string;
  environmentId: string;
  /** Window-aligned ISO instants. */
  timeFrom: string;
  timeTo: string;
  customerId?: string;
  forceRerun: boolean;
}

/**
 * One workflow id per distinct manual sync, so identical requests posted concurrently meet in Temporal (one runs,
 * the others join it). The digest is taken over a JSON array — unambiguous, unlike joining ids that may themselves
 * contain `-` (`a-b`/`c` vs `a`/`b-c`) — so different requests never share an id; the readable prefix is for people.
 */
export function manualSyncWorkflowId(identity: ManualSyncIdentity): string {
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        'manual',
        identity.tenantId,
        identity.environmentId,
        identity.timeFrom,
        identity.timeTo,
        identity.customerId ?? null,
        identity.forceRerun,
      ]),
    )
    .digest('hex')
    .slice(0, 40);
  return `stripe-sync-manual-${identity.tenantId}-${identity.environmentId}-${digest}`;
}

/** A batch's retry: batch ids are uuids, so the id is unique per batch and repeated clicks join the running retry. */
export function batchRetryWorkflowId(batchId: string): string {
  return `stripe-sync-retry-${batchId}`;
}
