import type { DataSource } from 'typeorm';
import type { ListSyncTenantsInput, SyncTenantPage } from '@flexsync/sync-contracts';

/**
 * `ListSyncTenantsActivity`: one page of the tenant+environment pairs the hourly schedule syncs, in key order after
 * a keyset cursor (the table's unique (tenant_id, environment_id) index serves it), so a fan-out over any number of
 * tenants reads them a page at a time. The one deliberately cross-tenant read of the pipeline: the scheduler must
 * find every tenant; each run it starts is scoped to one.
 */
export class ListSyncTenantsActivity {
  constructor(private readonly db: DataSource) {}

  async run(input: ListSyncTenantsInput): Promise<SyncTenantPage> {
    const limit = Math.max(1, Math.min(input.limit, 10_000));
    const rows: { tenant_id: string; environment_id: string; aggregation_window_minutes: number }[] = await this.db.query(
      `SELECT tenant_id, environment_id, aggregation_window_minutes
         FROM stripe_tenant_configs
        WHERE sync_enabled AND ($1::text IS NULL OR (tenant_id, environment_id) > ($1, $2))
        ORDER BY tenant_id, environment_id
        LIMIT $3`,
      [input.after?.tenantId ?? null, input.after?.environmentId ?? null, limit],
    );
    const last = rows[rows.length - 1];
    return {
      tenants: rows.map((row) => ({
        tenantId: row.tenant_id,
        environmentId: row.environment_id,
        windowMinutes: row.aggregation_window_minutes,
      })),
      next: rows.length === limit && last ? { tenantId: last.tenant_id, environmentId: last.environment_id } : undefined,
    };
  }
}
