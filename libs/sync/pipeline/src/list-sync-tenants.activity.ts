import type { DataSource } from 'typeorm';
import type { SyncTenant } from '@flexsync/sync-contracts';

/**
 * `ListSyncTenantsActivity`: the tenant+environment pairs the hourly schedule syncs. The one deliberately
 * cross-tenant read of the pipeline: the scheduler must find every tenant; each sync it starts is scoped to one.
 */
export class ListSyncTenantsActivity {
  constructor(private readonly db: DataSource) {}

  async run(): Promise<SyncTenant[]> {
    const rows: { tenant_id: string; environment_id: string; aggregation_window_minutes: number }[] = await this.db.query(
      `SELECT tenant_id, environment_id, aggregation_window_minutes
         FROM stripe_tenant_configs
        WHERE sync_enabled
        ORDER BY tenant_id, environment_id`,
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      environmentId: row.environment_id,
      windowMinutes: row.aggregation_window_minutes,
    }));
  }
}
