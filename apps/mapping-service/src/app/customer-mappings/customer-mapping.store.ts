import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type FindOptionsWhere } from 'typeorm';
import { CustomerIntegrationMapping, type CustomerMappingStatus, type TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import { UUID_PATTERN } from '../shared/identifiers';

export interface CustomerMappingFilter {
  customerId?: string;
  providerCustomerId?: string;
  status?: CustomerMappingStatus;
  limit: number;
  offset: number;
}

/** `customer_integration_mappings`, always read and written inside one tenant+environment. */
@Injectable()
export class CustomerMappingStore {
  constructor(@InjectRepository(CustomerIntegrationMapping) readonly repository: Repository<CustomerIntegrationMapping>) {}

  list(scope: TenantScope, filter: CustomerMappingFilter): Promise<[CustomerIntegrationMapping[], number]> {
    const where: FindOptionsWhere<CustomerIntegrationMapping> = { tenantId: scope.tenantId, environmentId: scope.environmentId };
    if (filter.customerId !== undefined) where.customerId = filter.customerId;
    if (filter.providerCustomerId !== undefined) where.providerCustomerId = filter.providerCustomerId;
    if (filter.status !== undefined) where.status = filter.status;
    return this.repository.findAndCount({ where, order: { createdAt: 'ASC', id: 'ASC' }, take: filter.limit, skip: filter.offset });
  }

  /** The mapping with `id`, or a 404 `MAPPING.NOT_FOUND` (also for ids of other tenants). */
  async get(scope: TenantScope, id: string): Promise<CustomerIntegrationMapping> {
    const mapping = UUID_PATTERN.test(id)
      ? await this.repository.findOne({ where: { id, tenantId: scope.tenantId, environmentId: scope.environmentId } })
      : null;
    if (!mapping) throw new DomainError('MAPPING.NOT_FOUND', 'no customer mapping with this id in this environment');
    return mapping;
  }

  async remove(scope: TenantScope, id: string): Promise<CustomerIntegrationMapping> {
    const mapping = await this.get(scope, id);
    await this.repository.delete({ id: mapping.id, tenantId: scope.tenantId, environmentId: scope.environmentId });
    return mapping;
  }
}
