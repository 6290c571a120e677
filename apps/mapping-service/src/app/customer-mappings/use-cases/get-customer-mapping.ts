import { Inject, Injectable } from '@nestjs/common';
import { CustomerMappingStore, type CustomerIntegrationMapping, type TenantScope } from '@flexsync/persistence';

@Injectable()
export class GetCustomerMapping {
  constructor(@Inject(CustomerMappingStore) private readonly store: CustomerMappingStore) {}

  execute(scope: TenantScope, id: string): Promise<CustomerIntegrationMapping> {
    return this.store.get(scope, id);
  }
}
