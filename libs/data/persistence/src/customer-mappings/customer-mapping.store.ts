import { In, Not, type DataSource, type EntityManager, type FindOptionsWhere } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DomainError } from '@flexsync/runtime';
import type { TenantScope } from '../entities/tenant-scoped';
import type { ProviderType } from '../meter-mappings/meter-provider-mapping.entity';
import { CustomerIntegrationMapping, type CustomerMappingState, type CustomerMappingStatus } from './customer-integration-mapping.entity';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CustomerMappingFilter {
  customerId?: string;
  providerCustomerId?: string;
  status?: CustomerMappingStatus;
  limit: number;
  offset: number;
}

/** The fields a Stripe customer event or a manual mapping writes on a row. */
export type CustomerMappingFields = Pick<CustomerIntegrationMapping, 'customerId' | 'status' | 'source' | 'lastEventCreated' | 'metadata'>;

/**
 * SQL condition, for a statement on another table aliased `alias` (with `tenant_id`, `environment_id`,
 * `customer_id`): the row's FlexPrice customer has a `mapped` Stripe customer in its tenant+environment. The ledger
 * uses it to find failures a mapping fix removed; the rule lives here, beside the table.
 */
export const mappedStripeCustomerOf = (alias: string): string =>
  `EXISTS (SELECT 1 FROM customer_integration_mappings c
            WHERE c.tenant_id = ${alias}.tenant_id AND c.environment_id = ${alias}.environment_id AND c.provider_type = 'stripe'
              AND c.customer_id = ${alias}.customer_id AND c.status = 'mapped')`;

/**
 * `customer_integration_mappings`: every read and write of the table, by the mapping-service (its owner) and the
 * sync worker (which only reads `mapped` rows), always inside one tenant+environment, through TypeORM's repository.
 */
export class CustomerMappingStore {
  constructor(private readonly db: DataSource) {}

  list(scope: TenantScope, filter: CustomerMappingFilter): Promise<[CustomerIntegrationMapping[], number]> {
    const where: FindOptionsWhere<CustomerIntegrationMapping> = { tenantId: scope.tenantId, environmentId: scope.environmentId };
    if (filter.customerId !== undefined) where.customerId = filter.customerId;
    if (filter.providerCustomerId !== undefined) where.providerCustomerId = filter.providerCustomerId;
    if (filter.status !== undefined) where.status = filter.status;
    return this.repository().findAndCount({ where, order: { createdAt: 'ASC', id: 'ASC' }, take: filter.limit, skip: filter.offset });
  }

  /** The mapping with `id`, or a 404 `MAPPING.NOT_FOUND` (also for ids of other tenants and ids that are no uuid). */
  async get(scope: TenantScope, id: string): Promise<CustomerIntegrationMapping> {
    const mapping = UUID_PATTERN.test(id)
      ? await this.repository().findOne({ where: { id, tenantId: scope.tenantId, environmentId: scope.environmentId } })
      : null;
    if (!mapping) throw new DomainError('MAPPING.NOT_FOUND', 'no customer mapping with this id in this environment');
    return mapping;
  }

  async remove(scope: TenantScope, id: string): Promise<CustomerIntegrationMapping> {
    const mapping = await this.get(scope, id);
    await this.repository().delete({ id: mapping.id, tenantId: scope.tenantId, environmentId: scope.environmentId });
    return mapping;
  }

  /** Stripe customer ids of the given FlexPrice customers; only `mapped` rows count. */
  async stripeCustomerIds(scope: TenantScope, customerIds: readonly string[], manager?: EntityManager): Promise<Map<string, string>> {
    if (customerIds.length === 0) return new Map();
    const rows = await this.repository(manager).find({
      select: { customerId: true, providerCustomerId: true },
      where: {
        tenantId: scope.tenantId,
        environmentId: scope.environmentId,
        providerType: 'stripe',
        status: 'mapped',
        customerId: In([...new Set(customerIds)]),
      },
    });
    return new Map(rows.map((row) => [row.customerId as string, row.providerCustomerId]));
  }

  /** Runs `work` in one transaction; the rows it locks stay locked until it commits. */
  transaction<T>(work: (writes: CustomerMappingWrites) => Promise<T>): Promise<T> {
    return this.db.transaction((manager) => work(new CustomerMappingWrites(manager)));
  }

  private repository(manager?: EntityManager) {
    return (manager ?? this.db.manager).getRepository(CustomerIntegrationMapping);
  }
}

/** The writes of one transaction. Both lookups lock the row, so two writers for one customer take turns. */
export class CustomerMappingWrites {
  constructor(private readonly manager: EntityManager) {}

  /** The row of one Stripe customer. */
  lockStripeCustomer(scope: TenantScope, providerType: ProviderType, providerCustomerId: string): Promise<CustomerIntegrationMapping | null> {
    return this.repository().findOne({
      where: { tenantId: scope.tenantId, environmentId: scope.environmentId, providerType, providerCustomerId },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** Another row that holds FlexPrice customer `customerId` (one FlexPrice customer maps to one Stripe customer). */
  lockHolderOf(scope: TenantScope, providerType: ProviderType, customerId: string, otherThan?: CustomerIntegrationMapping | null) {
    return this.repository().findOne({
      where: {
        tenantId: scope.tenantId,
        environmentId: scope.environmentId,
        providerType,
        customerId,
        ...(otherThan ? { id: Not(otherThan.id) } : {}),
      },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /**
   * A deleted Stripe customer gives its FlexPrice customer up to a newer Stripe customer: the row keeps its history
   * and names the customer it released (`released_customer_id`).
   */
  async releaseCustomer(holder: CustomerIntegrationMapping): Promise<void> {
    const released: CustomerMappingState = {
      ...((holder.metadata ?? {}) as CustomerMappingState),
      released_customer_id: holder.customerId ?? undefined,
    };
    await this.update(holder, { customerId: null, metadata: released });
  }

  async update(row: CustomerIntegrationMapping, fields: Partial<CustomerMappingFields>): Promise<void> {
    // TypeORM's deep-partial type cannot follow the jsonb column's open Record type; the fields are the entity's own.
    await this.repository().update(
      { id: row.id, tenantId: row.tenantId, environmentId: row.environmentId },
      fields as QueryDeepPartialEntity<CustomerIntegrationMapping>,
    );
  }

  async insert(
    scope: TenantScope,
    stripeCustomer: { providerType: ProviderType; providerCustomerId: string },
    fields: CustomerMappingFields,
  ): Promise<CustomerIntegrationMapping> {
    const repository = this.repository();
    return repository.save(repository.create({ ...scope, ...stripeCustomer, ...fields }));
  }

  /** Writes `fields` on `row` and returns the row as stored. */
  async save(row: CustomerIntegrationMapping, fields: Partial<CustomerMappingFields>): Promise<CustomerIntegrationMapping> {
    return this.repository().save(Object.assign(row, fields));
  }

  private repository() {
    return this.manager.getRepository(CustomerIntegrationMapping);
  }
}
