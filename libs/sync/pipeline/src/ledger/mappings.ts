import type { DataSource, EntityManager } from 'typeorm';
import { CustomerMappingStore, type TenantScope } from '@flexsync/persistence';

export interface MeterMappingView {
  /** Stripe meter `event_name`. */
  eventName: string;
  precision: number;
  syncEnabled: boolean;
  /** Why the Stripe meter cannot receive usage (missing, inactive, not `sum`), when a pre-push check found so. */
  unusable?: string;
}

/**
 * Reads the mappings the mapping-service owns (`meter_provider_mappings`, `customer_integration_mappings`); the
 * worker never writes them.
 */
export class MappingReader {
  private readonly customerMappings: CustomerMappingStore;

  constructor(private readonly db: DataSource) {
    this.customerMappings = new CustomerMappingStore(db);
  }

  /** Every Stripe meter mapping of the tenant+environment (a handful per tenant). */
  async meterMappings(scope: TenantScope, manager?: EntityManager): Promise<Map<string, MeterMappingView>> {
    const rows: { meter_id: string; provider_meter_id: string; value_precision: number; sync_enabled: boolean }[] = await (
      manager ?? this.db
    ).query(
      `SELECT meter_id, provider_meter_id, value_precision, sync_enabled FROM meter_provider_mappings
        WHERE tenant_id = $1 AND environment_id = $2 AND provider_type = 'stripe'`,
      [scope.tenantId, scope.environmentId],
    );
    return new Map(
      rows.map((row) => [
        row.meter_id,
        { eventName: row.provider_meter_id, precision: row.value_precision, syncEnabled: row.sync_enabled },
      ]),
    );
  }

  /** Stripe customer ids of the given FlexPrice customers; only `mapped` mappings count. */
  stripeCustomers(scope: TenantScope, customerIds: readonly string[], manager?: EntityManager): Promise<Map<string, string>> {
    return this.customerMappings.stripeCustomerIds(scope, customerIds, manager);
  }
}
