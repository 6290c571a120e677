import { Inject, Injectable } from '@nestjs/common';
import { CustomerMappingStore, type TenantScope } from '@flexsync/persistence';
import { pageOf } from '../../shared/page';
import type { ListCustomerMappingsQuery } from '../dto/customer-mapping.dto';
import { toCustomerMappingView, type CustomerMappingPageView } from '../dto/customer-mapping.view';

@Injectable()
export class ListCustomerMappings {
  constructor(@Inject(CustomerMappingStore) private readonly store: CustomerMappingStore) {}

  async execute(scope: TenantScope, query: ListCustomerMappingsQuery): Promise<CustomerMappingPageView> {
    const page = pageOf(query);
    const [rows, total] = await this.store.list(scope, {
      ...page,
      customerId: query.customer_id,
      providerCustomerId: query.provider_customer_id,
      status: query.status,
    });
    return { data: rows.map(toCustomerMappingView), total, ...page };
  }
}
