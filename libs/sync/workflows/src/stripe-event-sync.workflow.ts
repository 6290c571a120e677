import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { SYNC_FAILURE, splitIntoWindows } from '@flexsync/sync-contracts';
import type {
  PushTally,
  ScheduledSyncActivities,
  ScheduledSyncResult,
  StripeEventSyncInput,
  StripeEventSyncResult,
  StripeSyncActivities,
  SyncToStripeResult,
  WindowPushProgress,
  WindowSyncSummary,
} from '@flexsync/sync-contracts';
import { StripeScheduledSyncWorkflow } from './stripe-scheduled-sync.workflow';

const { AggregateEventsActivity } = proxyActivities<StripeSyncActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [SYNC_FAILURE.windowConflict, SYNC_FAILURE.invalidInput],
  },
});

// Stripe errors are retried per call inside the activity; these retries cover the worker itself (crash, database).
const { SyncToStripeActivity } = proxyActivities<StripeSyncActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

const { RecordWindowCoverageActivity } = proxyActivities<ScheduledSyncActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

// Outcomes live only in this workflow's history until recorded, so recording them is retried for longer.
const { TrackSyncBatchActivity } = proxyActivities<StripeSyncActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

const DEFAULT_HISTORY_EVENT_BUDGET = 10_000;
/** Sweeps over a window's pending rows; later sweeps only find rows a concurrent run added behind the cursor. */
const MAX_PUSH_PASSES = 3;

function emptyTally(): PushTally {
  return { completed: 0, failed: 0, alreadyDelivered: 0, resent: 0 };
}

function shouldContinueAsNew(budget: number): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= budget;
}

/**
 * Syncs one tenant+environment over `[timeFrom, timeTo)`, one aligned window at a time: aggregate the window into
 * the ledger, then push its pending rows page by page, recording each page's outcomes while the next page is pushed.
 * Long runs continue as new with their progress, so history stays small whatever the number of aggregates.
 */
export async function StripeEventSyncWorkflow(input?: StripeEventSyncInput): Promise<StripeEventSyncResult | ScheduledSyncResult> {
  // Started bare (playbook §7: `temporal workflow start --workflow StripeEventSyncWorkflow --cron …`): the hourly fan-out.
  if (!input) return StripeScheduledSyncWorkflow();
  const windows = input.windows ?? splitIntoWindows(input.timeFrom, input.timeTo, input.windowMinutes);
  const budget = input.historyEventBudget ?? DEFAULT_HISTORY_EVENT_BUDGET;
  const scope = { tenantId: input.tenantId, environmentId: input.environmentId };
  const finished: WindowSyncSummary[] = [...(input.continuation?.finished ?? [])];

  for (let index = input.continuation?.windowIndex ?? 0; index < windows.length; index += 1) {
    const window = windows[index];
    const resumed = index === input.continuation?.windowIndex ? input.continuation.current : undefined;
    // Workflow time before the aggregation is scheduled, so the aggregation read ClickHouse no earlier than this.
    const aggregatedAt = new Date().toISOString();
    const progress: WindowPushProgress = resumed ?? {
      aggregation: await AggregateEventsActivity({ ...scope, window, customerId: input.customerId }),
      aggregatedAt,
      pass: 1,
      pushed: emptyTally(),
    };

    let tracking: Promise<void> | undefined;
    const track = (page: SyncToStripeResult): Promise<void> =>
      TrackSyncBatchActivity({ ...scope, completed: page.completed, failed: page.failed }).then(() => undefined);

    for (;;) {
      const page = await SyncToStripeActivity({
        ...scope,
        window,
        afterId: progress.afterId,
        resendCompleted: input.forceRerun && progress.pass === 1,
      });
      // The previous page's outcomes were being recorded while this page was pushed.
      await tracking;
      tracking = page.completed.ids.length + page.failed.length > 0 ? track(page) : undefined;
      progress.pushed.completed += page.completed.ids.length;
      progress.pushed.failed += page.failed.length;
      progress.pushed.alreadyDelivered += page.alreadyDelivered;
      progress.pushed.resent += page.resent;
      progress.afterId = page.nextAfterId;

      if (page.done) {
        await tracking;
        tracking = undefined;
        // The cursor only stays unset when the whole pass found nothing.
        if (progress.afterId === undefined || progress.pass >= MAX_PUSH_PASSES) break;
        progress.pass += 1;
        progress.afterId = undefined;
      }
      if (shouldContinueAsNew(budget)) {
        await tracking;
        return continueAsNew<typeof StripeEventSyncWorkflow>({
          ...input,
          continuation: { windowIndex: index, finished, current: progress },
        });
      }
    }
    // Coverage counts whole-window aggregations only: a sync limited to one customer leaves the others unmeasured.
    if (input.customerId === undefined && progress.aggregatedAt !== undefined) {
      await RecordWindowCoverageActivity({ ...scope, window, aggregatedAt: progress.aggregatedAt });
    }
    finished.push({ ...progress.aggregation, ...progress.pushed });
    if (index + 1 < windows.length && shouldContinueAsNew(budget)) {
      return continueAsNew<typeof StripeEventSyncWorkflow>({ ...input, continuation: { windowIndex: index + 1, finished } });
    }
  }
  return { windows: finished };
}
