import type { Logger } from 'pino';
import type { TrackSyncBatchInput, TrackSyncBatchResult } from '@flexsync/sync-contracts';
import { activityLogger, currentActivityRun } from './activity-run';
import type { SyncLedger } from './ledger/sync-ledger';
import type { SyncPipelineMetrics } from './sync-metrics';

/**
 * `TrackSyncBatchActivity`: records a page's outcomes in the ledger (`completed` with the identifier Stripe
 * acknowledged and the call latency, or `failed` with the cause). Idempotent, so Temporal may retry it freely.
 */
export class TrackSyncBatchActivity {
  constructor(
    private readonly ledger: SyncLedger,
    private readonly metrics: SyncPipelineMetrics,
    private readonly logger: Logger,
  ) {}

  async run(input: TrackSyncBatchInput): Promise<TrackSyncBatchResult> {
    const scope = { tenantId: input.tenantId, environmentId: input.environmentId };
    const recorded = await this.ledger.recordOutcomes(scope, { completed: input.completed, failed: input.failed });
    this.metrics.batches.inc({ status: 'completed' }, recorded.completed);
    this.metrics.batches.inc({ status: 'failed' }, recorded.failed);
    activityLogger(this.logger, 'TrackSyncBatchActivity', scope, currentActivityRun()).debug(
      { completed: recorded.completed, failed: recorded.failed, outcomes: input.completed.ids.length + input.failed.length },
      'recorded push outcomes',
    );
    return recorded;
  }
}
