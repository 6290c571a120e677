import type { StripeSyncActivities } from '@flexsync/sync-contracts';
import type { AggregateEventsActivity } from './aggregate-events.activity';
import type { SyncToStripeActivity } from './sync-to-stripe.activity';
import type { TrackSyncBatchActivity } from './track-sync-batch.activity';

/** Binds the activity classes to the names the workflow calls (playbook §6.1). */
export function bindSyncActivities(
  aggregate: AggregateEventsActivity,
  push: SyncToStripeActivity,
  track: TrackSyncBatchActivity,
): StripeSyncActivities {
  return {
    AggregateEventsActivity: (input) => aggregate.run(input),
    SyncToStripeActivity: (input) => push.run(input),
    TrackSyncBatchActivity: (input) => track.run(input),
  };
}
