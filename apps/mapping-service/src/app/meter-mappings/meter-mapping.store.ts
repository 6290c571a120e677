import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { MeterProviderMapping, type TenantScope, violatedUniqueIndex } from '@flexsync/persistence';
import { DomainError, matchesIdRule } from '@flexsync/runtime';

export type MeterMappingFields = Pick<
  MeterProviderMapping,
  'meterId' | 'providerType' | 'providerMeterId' | 'syncEnabled' | 'valuePrecision'
>;

/** `meter_provider_mappings`, always read and written inside one tenant+environment. */
@Injectable()
export class MeterMappingStore {
  constructor(@InjectRepository(MeterProviderMapping) private readonly mappings: Repository<MeterProviderMapping>) {}

  async insert(scope: TenantScope, fields: MeterMappingFields): Promise<MeterProviderMapping> {
    try {
      return await this.mappings.save(this.mappings.create({ ...fields, tenantId: scope.tenantId, environmentId: scope.environmentId }));
    } catch (error) {
      if (violatedUniqueIndex(error)) throw duplicate(fields.meterId);
      throw error;
    }
  }

  async list(
    scope: TenantScope,
    filter: { syncEnabled?: boolean; limit: number; offset: number },
  ): Promise<[MeterProviderMapping[], number]> {
    return this.mappings.findAndCount({
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
      ? await this.mappings.findOne({ where: { tenantId: scope.tenantId, environmentId: scope.environmentId, meterId } })
      : null;
    if (!mapping)
      throw new DomainError(
        'MAPPING.NOT_FOUND',
        `no meter mapping for meter_id ${JSON.stringify(meterId.slice(0, 255))} in this environment`,
      );
    return mapping;
  }

  async save(mapping: MeterProviderMapping): Promise<MeterProviderMapping> {
    return this.mappings.save(mapping);
  }

  async remove(scope: TenantScope, meterId: string): Promise<void> {
    const mapping = await this.get(scope, meterId);
    await this.mappings.delete({ id: mapping.id, tenantId: scope.tenantId, environmentId: scope.environmentId });
  }
}

export function duplicate(meterId: string): DomainError {
  return new DomainError(
    'MAPPING.DUPLICATE',
    `meter ${JSON.stringify(meterId)} is already mapped in this environment; update or delete that mapping instead`,
    {
      meter_id: meterId,
    },
  );
}
