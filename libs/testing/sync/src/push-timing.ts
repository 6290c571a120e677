import type { SyncWorkerActivities } from '@flexsync/sync-contracts';

/** From the start of a sync's first push page to the end of its last, and the aggregates its pages pushed. */
export interface PushTiming {
  startedMs: number;
  endedMs: number;
  /** Completed by v1, or accepted by the v2 meter event stream (validating). */
  pushed: number;
}

/** `activities` with `SyncToStripeActivity` timed into `timing`, for benchmarks and replica processes. */
export function timePushes(activities: SyncWorkerActivities): { activities: SyncWorkerActivities; timing: PushTiming } {
  const timing: PushTiming = { startedMs: 0, endedMs: 0, pushed: 0 };
  return {
    timing,
    activities: {
      ...activities,
      SyncToStripeActivity: async (input) => {
        timing.startedMs ||= Date.now();
        const page = await activities.SyncToStripeActivity(input);
        timing.endedMs = Date.now();
        timing.pushed += page.completed.ids.length + (page.validating ?? 0);
        return page;
      },
    },
  };
}
