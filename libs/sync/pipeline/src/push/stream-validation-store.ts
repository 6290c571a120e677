import type { DataSource } from 'typeorm';
import { SyncBatchStore, type TenantScope } from '@flexsync/persistence';

/** A push the meter event stream accepted, with the latency of the request that carried it. */
export interface StreamAcceptedPush {
  id: string;
  latencyMs: number;
}

/**
 * The ledger side of the v2 meter event stream, whose validation is asynchronous: a push the stream accepted is
 * `validating` (with `stream_accepted_at`) until its validation period ends, then `completed`, unless a Stripe
 * error report named it first (then `failed`, as {@link MeterErrorReportLedger} marks it). The statements are
 * `SyncBatchStore`'s, the one home of `stripe_sync_batches`.
 */
export class StreamValidationStore {
  private readonly batches: SyncBatchStore;

  constructor(db: DataSource) {
    this.batches = new SyncBatchStore(db);
  }

  /** Counts the window's pushes still to send or sent by stream and validating, up to `limit`. */
  openRows(scope: TenantScope, window: { start: Date; end: Date }, limit: number): Promise<number> {
    return this.batches.openStreamRows(scope, window, limit);
  }

  /** Pushes the stream accepted: `validating` from now; a row no longer pending is left alone. How many changed. */
  markAccepted(scope: TenantScope, pushes: readonly StreamAcceptedPush[]): Promise<number> {
    return this.batches.markStreamAccepted(scope, pushes);
  }

  /** Pushes whose validation period ended with no error report naming them: `completed`. */
  settle(scope: TenantScope, validationSeconds: number): Promise<number> {
    return this.batches.settleStreamValidation(scope, validationSeconds);
  }
}
