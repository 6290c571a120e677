import type { DataSource, EntityManager } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';

/**
 * `stripe_usage_watermarks` (entity `StripeUsageWatermark`): the late-usage scan's watermark per tenant+environment
 * and usage source, always inside one tenant+environment. Raw SQL, because the advance is an `INSERT … ON CONFLICT …
 * DO UPDATE` that never moves the watermark back (`GREATEST`) and adds to the beyond-limit count, run on the scan's
 * transaction (the same one that marks the changed windows).
 */
export class UsageWatermarkStore {
  constructor(private readonly db: DataSource) {}

  /** The ingestion time (epoch ms) up to which the source was looked at, or undefined before the first scan. */
  async ingestedThroughMs(scope: TenantScope, usageSource: string): Promise<number | undefined> {
    const rows: { ingested_through_ms: string }[] = await this.db.query(
      `SELECT ingested_through_ms FROM stripe_usage_watermarks WHERE tenant_id = $1 AND environment_id = $2 AND usage_source = $3`,
      [scope.tenantId, scope.environmentId, usageSource],
    );
    return rows[0] ? Number(rows[0].ingested_through_ms) : undefined;
  }

  /**
   * Moves the watermark to `markMs` (never back) and adds the late rows found beyond Stripe's age limit, on the
   * caller's transaction.
   */
  async advance(
    manager: EntityManager,
    scope: TenantScope,
    usageSource: string,
    markMs: number,
    lateRowsBeyondLimit: number,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO stripe_usage_watermarks
         (tenant_id, environment_id, usage_source, ingested_through_ms, late_rows_beyond_limit, last_late_row_beyond_limit_at)
       VALUES ($1, $2, $3, $4::bigint, $5::bigint, CASE WHEN $5::bigint > 0 THEN now() END)
       ON CONFLICT (tenant_id, environment_id, usage_source) DO UPDATE
         SET ingested_through_ms = GREATEST(stripe_usage_watermarks.ingested_through_ms, EXCLUDED.ingested_through_ms),
             late_rows_beyond_limit = stripe_usage_watermarks.late_rows_beyond_limit + EXCLUDED.late_rows_beyond_limit,
             last_late_row_beyond_limit_at = COALESCE(EXCLUDED.last_late_row_beyond_limit_at, stripe_usage_watermarks.last_late_row_beyond_limit_at),
             updated_at = now()`,
      [scope.tenantId, scope.environmentId, usageSource, markMs, lateRowsBeyondLimit],
    );
  }
}
