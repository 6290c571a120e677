import type { StripeSyncActivities } from '@flexsync/sync-contracts';
import type { AggregateEventsActivity } from './aggregate-events.activity';

/** Binds the activity classes to the names the workflow calls (playbook §6.1). */
export function bindSyncActivities(aggregate: AggregateEventsActivity): StripeSyncActivities {
  return {
    AggregateEventsActivity: (input) => aggregate.run(input),
  };
}
