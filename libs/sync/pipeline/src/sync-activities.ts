import type { SyncWorkerActivities } from '@flexsync/sync-contracts';
import type { AggregateEventsActivity } from './aggregate-events.activity';
import type { PlanTenantCoverageActivity, RecordWindowCoverageActivity } from './coverage';
import type { ListSyncTenantsActivity } from './list-sync-tenants.activity';
import type { ReconcileTenantActivity } from './reconciliation/reconcile-tenant.activity';
import type { SyncToStripeActivity } from './sync-to-stripe.activity';
import type { TrackSyncBatchActivity } from './track-sync-batch.activity';

/** Binds the activity classes to the names the workflows call (playbook §6.1, plus the hourly fan-out's tenant list and coverage, and reconciliation). */
export function bindSyncActivities(
  aggregate: AggregateEventsActivity,
  push: SyncToStripeActivity,
  track: TrackSyncBatchActivity,
  tenants: ListSyncTenantsActivity,
  coverage: { plan: PlanTenantCoverageActivity; record: RecordWindowCoverageActivity },
  reconcile: ReconcileTenantActivity,
): SyncWorkerActivities {
  return {
    ListSyncTenantsActivity: (input) => tenants.run(input),
    PlanTenantCoverageActivity: (input) => coverage.plan.run(input),
    RecordWindowCoverageActivity: (input) => coverage.record.run(input),
    AggregateEventsActivity: (input) => aggregate.run(input),
    SyncToStripeActivity: (input) => push.run(input),
    TrackSyncBatchActivity: (input) => track.run(input),
    ReconcileTenantActivity: (input) => reconcile.run(input),
    RecordReconciliationResendActivity: (input) => reconcile.recordResend(input),
  };
}
