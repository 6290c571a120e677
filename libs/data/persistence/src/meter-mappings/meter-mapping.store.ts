import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, matchesIdRule } from '@flexsync/runtime';
import type { TenantScope } from '../entities/tenant-scoped';
import { violatedUniqueIndex } from '../unique-violation';
import { MeterProviderMapping } from './meter-provider-mapping.entity';

export type MeterMappingFields = Pick<MeterProviderMapping, 'meterId' | 'providerType' | 'providerMeterId' | 'syncEnabled' | 'valuePrecision'>;

export interface MeterMappingFilter {
  syncEnabled?: boolean;
  limit: number;
  offset: number;
}

/** A Stripe meter mapping as the sync worker reads it. */
export type StripeMeterMapping = Pick<MeterProviderMapping, 'meterId' | 'providerMeterId' | 'valuePrecision' | 'syncEnabled'>;

/**
 * SQL condition, for a statement on another table aliased `alias` (with `tenant_id`, `environment_id`, `meter_id`):
 * the row's meter has a Stripe mapping with sync on in its tenant+environment. The ledger uses it to find failures a
 * mapping fix removed; the rule lives here, beside the table.
 */
export const syncingStripeMeterMappingOf = (alias: string): string =>
  `EXISTS (SELECT 1 FROM meter_provider_mappings m
            WHERE m.tenant_id = ${alias}.tenant_id AND m.environment_id = ${alias}.environment_id AND m.provider_type = 'stripe'
              AND m.meter_id = ${alias}.meter_id AND m.sync_enabled)`;

/**
 * `meter_provider_mappings`: every read and write of the table, by the mapping-service (its owner), the sync worker
 * and the orchestrator (which only read it), always inside one tenant+environment, through TypeORM's repository.
 */
export class MeterMappingStore {
  constructor(private readonly db: DataSource) {}

  /** Inserts the mapping; a second one for the meter is a 409 `MAPPING.DUPLICATE` (the unique index decides, so races agree). */
  async insert(scope: TenantScope, fields: MeterMappingFields): Promise<MeterProviderMapping> {
    const repository = this.repository();
    try {
      return await repository.save(repository.create({ ...fields, tenantId: scope.tenantId, environmentId: scope.environmentId }));
    } catch (error) {
      if (violatedUniqueIndex(error)) throw duplicateMeterMapping(fields.meterId);
      throw error;
    }
  }

  list(scope: TenantScope, filter: MeterMappingFilter): Promise<[MeterProviderMapping[], number]> {
    return this.repository().findAndCount({
      where: {
        tenantId: scope.tenantId,
        environmentId: scope.environmentId,
        ...(filter.syncEnabled === undefined ? {} : { syncEnabled: filter.syncEnabled }),
      },
      order: { meterId: 'ASC' },
      take: filter.limit,
      skip: filter.offset,
    });
  }

  /**
   * The mapping of `meterId`, or a 404 `MAPPING.NOT_FOUND`: without a query when the id breaks the rule every stored
   * meter id follows (the create DTO's).
   */
  async get(scope: TenantScope, meterId: string): Promise<MeterProviderMapping> {
    const mapping = matchesIdRule('flexprice_meter', meterId)
      ? await this.repository().findOne({ where: { tenantId: scope.tenantId, environmentId: scope.environmentId, meterId } })
      : null;
    if (!mapping) {
      throw new DomainError('MAPPING.NOT_FOUND', `no meter mapping for meter_id ${JSON.stringify(meterId.slice(0, 255))} in this environment`);
    }
    return mapping;
  }

  /** Whether the tenant+environment has a mapping (of any provider, synced or not) for `meterId`. */
  exists(scope: TenantScope, meterId: string): Promise<boolean> {
    return this.repository().exists({ where: { tenantId: scope.tenantId, environmentId: scope.environmentId, meterId } });
  }

  /** Writes the changed fields of a mapping read through {@link get}. */
  save(mapping: MeterProviderMapping): Promise<MeterProviderMapping> {
    return this.repository().save(mapping);
  }

  async remove(scope: TenantScope, meterId: string): Promise<void> {
    const mapping = await this.get(scope, meterId);
    await this.repository().delete({ id: mapping.id, tenantId: scope.tenantId, environmentId: scope.environmentId });
  }

  /** Every Stripe meter mapping of the tenant+environment (a handful per tenant), on `manager` when given. */
  stripeMappings(scope: TenantScope, manager?: EntityManager): Promise<StripeMeterMapping[]> {
    return this.repository(manager).find({
      select: { meterId: true, providerMeterId: true, valuePrecision: true, syncEnabled: true },
      where: { tenantId: scope.tenantId, environmentId: scope.environmentId, providerType: 'stripe' },
    });
  }

  private repository(manager?: EntityManager) {
    return (manager ?? this.db.manager).getRepository(MeterProviderMapping);
  }
}

export function duplicateMeterMapping(meterId: string): DomainError {
  return new DomainError(
    'MAPPING.DUPLICATE',
    `meter ${JSON.stringify(meterId)} is already mapped in this environment; update or delete that mapping instead`,
    { meter_id: meterId },
  );
}
