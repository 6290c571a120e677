import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { makeContinueAsNewFunc, proxyActivities, workflowInfo } from '@temporalio/workflow';
import {
  DEFAULT_RECONCILIATION_MAX_CONCURRENT_TENANTS,
  DEFAULT_SCHEDULED_TENANT_PAGE_SIZE,
  dailyReconciliationWorkflowId,
  RECONCILIATION_MAX_RANGE_DAYS,
  STRIPE_RECONCILIATION_WORKFLOW,
  STRIPE_SCHEDULED_RECONCILIATION_WORKFLOW,
} from '@flexsync/sync-contracts';
import type {
  ReconciliationInput,
  ScheduledReconciliationInput,
  ScheduledReconciliationResult,
  ScheduledReconciliationTally,
  ScheduledSyncActivities,
} from '@flexsync/sync-contracts';
import { startTenantChildren } from './tenant-fan-out';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Temporal sets this on runs a Schedule starts; a catch-up run keeps the time it was due, not when it ran. */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const { ListSyncTenantsActivity } = proxyActivities<ScheduledSyncActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/**
 * The daily reconciliation fan-out: over the `rangeDays` (35) days before the tick's last closed hour, starts one
 * `StripeReconciliationWorkflow` per tenant+environment with sync enabled, a page of tenants at a time, at most
 * `maxConcurrentTenants` starts at once, continuing as new between pages. One tenant's failure never stops the others.
 */
export async function StripeScheduledReconciliationWorkflow(
  input: ScheduledReconciliationInput = {},
): Promise<ScheduledReconciliationResult> {
  const info = workflowInfo();
  const firedAt = input.firedAt ?? (info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.runStartTime).toISOString();
  const days = Math.min(RECONCILIATION_MAX_RANGE_DAYS, Math.max(1, input.rangeDays ?? RECONCILIATION_MAX_RANGE_DAYS));
  const closedBy = Math.floor(Date.parse(firedAt) / HOUR_MS) * HOUR_MS;
  const range = { timeFrom: new Date(closedBy - days * DAY_MS).toISOString(), timeTo: new Date(closedBy).toISOString() };
  const concurrency = Math.max(1, input.maxConcurrentTenants ?? DEFAULT_RECONCILIATION_MAX_CONCURRENT_TENANTS);
  const tally: ScheduledReconciliationTally = input.continuation?.tally ?? { started: 0, alreadyRunning: 0, failedToStart: 0, pages: 0 };

  const page = await ListSyncTenantsActivity({
    after: input.continuation?.after,
    limit: input.tenantPageSize ?? DEFAULT_SCHEDULED_TENANT_PAGE_SIZE,
  });
  // Started, not awaited, and abandoned: a slow tenant never holds up the others or the next day's tick.
  await startTenantChildren(page.tenants, concurrency, tally, (tenant) => {
    const scope = { tenantId: tenant.tenantId, environmentId: tenant.environmentId };
    return {
      workflowType: STRIPE_RECONCILIATION_WORKFLOW,
      workflowId: dailyReconciliationWorkflowId(scope),
      args: [{ ...scope, ...range, trigger: 'daily', windowMinutes: tenant.windowMinutes } satisfies ReconciliationInput],
      name: 'tenant reconciliation',
    };
  });

  if (page.next) {
    const nextPage = makeContinueAsNewFunc<typeof StripeScheduledReconciliationWorkflow>({
      workflowType: STRIPE_SCHEDULED_RECONCILIATION_WORKFLOW,
    });
    return nextPage({ ...input, firedAt, continuation: { after: page.next, tally } });
  }
  return { firedAt, ...range, ...tally };
}
