import { Inject, Injectable } from '@nestjs/common';
import type { CustomerIntegrationMapping, TenantScope } from '@flexsync/persistence';
import { CustomerMappingStore } from '../customer-mapping.store';

@Injectable()
export class GetCustomerMapping {
  constructor(@Inject(CustomerMappingStore) private readonly store: CustomerMappingStore) {}

  execute(scope: TenantScope, id: string): Promise<CustomerIntegrationMapping> {
    return this.store.get(scope, id);
  }
}
