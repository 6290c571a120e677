import { Inject, Injectable, Logger } from '@nestjs/common';
import { CustomerMappingStore, type TenantScope } from '@flexsync/persistence';

/** Removes the row; a later Stripe event for the same customer creates it again from the customer's metadata. */
@Injectable()
export class DeleteCustomerMapping {
  private readonly logger = new Logger(DeleteCustomerMapping.name);

  constructor(@Inject(CustomerMappingStore) private readonly store: CustomerMappingStore) {}

  async execute(scope: TenantScope, id: string): Promise<void> {
    const removed = await this.store.remove(scope, id);
    this.logger.log(
      { tenant_id: scope.tenantId, environment_id: scope.environmentId, mapping_id: id, provider_customer_id: removed.providerCustomerId },
      'customer mapping deleted',
    );
  }
}
