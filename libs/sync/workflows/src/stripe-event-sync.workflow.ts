import { proxyActivities } from '@temporalio/workflow';
import { splitIntoWindows } from '@flexsync/sync-contracts';
import type { StripeEventSyncInput, StripeEventSyncResult, StripeSyncActivities } from '@flexsync/sync-contracts';

const { AggregateEventsActivity } = proxyActivities<StripeSyncActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Syncs one tenant+environment over `[timeFrom, timeTo)`, one aligned window at a time. */
export async function StripeEventSyncWorkflow(input: StripeEventSyncInput): Promise<StripeEventSyncResult> {
  const windows = splitIntoWindows(input.timeFrom, input.timeTo, input.windowMinutes);
  const summaries = [];
  for (const window of windows) {
    summaries.push(
      await AggregateEventsActivity({ tenantId: input.tenantId, environmentId: input.environmentId, window, customerId: input.customerId }),
    );
  }
  return { windows: summaries };
}
