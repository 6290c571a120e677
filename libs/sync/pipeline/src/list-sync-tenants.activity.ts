import type { DataSource } from 'typeorm';
import { StripeConfigStore } from '@flexsync/persistence';
import type { ListSyncTenantsInput, SyncTenantPage } from '@flexsync/sync-contracts';

/**
 * `ListSyncTenantsActivity`: one page of the tenant+environment pairs the hourly schedule syncs, in key order after
 * a keyset cursor (`StripeConfigStore.listSyncEnabled`), so a fan-out over any number of tenants reads them a page
 * at a time. The one deliberately cross-tenant read of the pipeline: the scheduler must find every tenant; each run
 * it starts is scoped to one.
 */
export class ListSyncTenantsActivity {
  private readonly configs: StripeConfigStore;

  constructor(db: DataSource) {
    this.configs = new StripeConfigStore(db);
  }

  async run(input: ListSyncTenantsInput): Promise<SyncTenantPage> {
    const limit = Math.max(1, Math.min(input.limit, 10_000));
    const tenants = await this.configs.listSyncEnabled(input.after, limit);
    const last = tenants[tenants.length - 1];
    return {
      tenants,
      next: tenants.length === limit && last ? { tenantId: last.tenantId, environmentId: last.environmentId } : undefined,
    };
  }
}
