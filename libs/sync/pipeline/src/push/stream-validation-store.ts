import type { DataSource } from 'typeorm';
import type { TenantScope } from '@flexsync/persistence';

/** A push the meter event stream accepted, with the latency of the request that carried it. */
export interface StreamAcceptedPush {
  id: string;
  latencyMs: number;
}

/**
 * The ledger side of the v2 meter event stream, whose validation is asynchronous: a push the stream accepted is
 * `validating` (with `stream_accepted_at`) until its validation period ends, then `completed`, unless a Stripe
 * error report named it first (then `failed`, as {@link MeterErrorReportLedger} marks it).
 */
export class StreamValidationStore {
  constructor(private readonly db: DataSource) {}

  /** Counts the window's pushes still to send or sent by stream and validating, up to `limit`. */
  async openRows(scope: TenantScope, window: { start: Date; end: Date }, limit: number): Promise<number> {
    const rows: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM (
         SELECT 1 FROM stripe_sync_batches
          WHERE tenant_id = $1 AND environment_id = $2 AND window_start = $3 AND window_end = $4
            AND sync_status IN ('pending', 'validating')
          LIMIT $5) open_rows`,
      [scope.tenantId, scope.environmentId, window.start, window.end, limit],
    );
    return rows[0].n;
  }

  /**
   * Pushes the stream accepted (one or several requests' worth): `validating` from now; a row no longer pending is
   * left alone. Returns how many rows changed.
   */
  async markAccepted(scope: TenantScope, pushes: readonly StreamAcceptedPush[]): Promise<number> {
    if (pushes.length === 0) return 0;
    const result: [unknown[], number] = await this.db.query(
      `UPDATE stripe_sync_batches b
          SET sync_status = 'validating', stream_accepted_at = now(), stripe_event_id = b.identifier, error_message = NULL,
              next_attempt_at = NULL, latency_ms = u.latency_ms, updated_at = now()
         FROM unnest($3::uuid[], $4::int[]) AS u(id, latency_ms)
        WHERE b.tenant_id = $1 AND b.environment_id = $2 AND b.id = u.id AND b.sync_status = 'pending'`,
      [scope.tenantId, scope.environmentId, pushes.map((push) => push.id), pushes.map((push) => Math.round(push.latencyMs))],
    );
    return result[1];
  }

  /** Pushes whose validation period ended with no error report naming them: `completed`. */
  async settle(scope: TenantScope, validationSeconds: number): Promise<number> {
    const result: [unknown[], number] = await this.db.query(
      `UPDATE stripe_sync_batches SET sync_status = 'completed', completed_at = now(), updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND sync_status = 'validating'
          AND stream_accepted_at <= now() - make_interval(secs => $3)`,
      [scope.tenantId, scope.environmentId, validationSeconds],
    );
    return result[1];
  }
}
