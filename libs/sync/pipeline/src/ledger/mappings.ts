import type { DataSource, EntityManager } from 'typeorm';
import { CustomerMappingStore, MeterMappingStore, type TenantScope } from '@flexsync/persistence';

export interface MeterMappingView {
  /** Stripe meter `event_name`. */
  eventName: string;
  precision: number;
  syncEnabled: boolean;
  /** Why the Stripe meter cannot receive usage (missing, inactive, not `sum`), when a pre-push check found so. */
  unusable?: string;
}

/**
 * Reads the mappings the mapping-service owns (`meter_provider_mappings`, `customer_integration_mappings`) through
 * their stores; the worker never writes them.
 */
export class MappingReader {
  private readonly meterMappingStore: MeterMappingStore;
  private readonly customerMappingStore: CustomerMappingStore;

  constructor(db: DataSource) {
    this.meterMappingStore = new MeterMappingStore(db);
    this.customerMappingStore = new CustomerMappingStore(db);
  }

  /** Every Stripe meter mapping of the tenant+environment (a handful per tenant). */
  async meterMappings(scope: TenantScope, manager?: EntityManager): Promise<Map<string, MeterMappingView>> {
    const rows = await this.meterMappingStore.stripeMappings(scope, manager);
    return new Map(
      rows.map((row) => [row.meterId, { eventName: row.providerMeterId, precision: row.valuePrecision, syncEnabled: row.syncEnabled }]),
    );
  }

  /** Stripe customer ids of the given FlexPrice customers; only `mapped` mappings count. */
  stripeCustomers(scope: TenantScope, customerIds: readonly string[], manager?: EntityManager): Promise<Map<string, string>> {
    return this.customerMappingStore.stripeCustomerIds(scope, customerIds, manager);
  }
}
