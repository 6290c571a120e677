import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CustomerMappingStore,
  violatedUniqueIndex,
  type CustomerIntegrationMapping,
  type CustomerMappingState,
  type TenantScope,
} from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import type { CreateCustomerMappingDto } from '../dto/customer-mapping.dto';

export interface CreateCustomerMappingOutcome {
  mapping: CustomerIntegrationMapping;
  /** False when an unmatched Stripe customer (recorded from a webhook) was resolved instead. */
  created: boolean;
}

function duplicate(message: string, details: Record<string, unknown>): DomainError {
  return new DomainError('MAPPING.DUPLICATE', message, details);
}

/**
 * Maps a FlexPrice customer to a Stripe customer by hand. Both sides are unique per tenant+environment+provider;
 * an `unmatched` row for the Stripe customer is resolved in place, and a deleted Stripe customer gives up its FlexPrice customer.
 */
@Injectable()
export class CreateCustomerMapping {
  private readonly logger = new Logger(CreateCustomerMapping.name);

  constructor(@Inject(CustomerMappingStore) private readonly store: CustomerMappingStore) {}

  async execute(scope: TenantScope, dto: CreateCustomerMappingDto): Promise<CreateCustomerMappingOutcome> {
    try {
      const outcome = await this.store.transaction(async (writes) => {
        const existing = await writes.lockStripeCustomer(scope, dto.provider_type, dto.provider_customer_id);
        if (existing && existing.status !== 'unmatched') {
          throw duplicate(
            existing.status === 'deleted'
              ? `Stripe customer ${dto.provider_customer_id} was deleted in Stripe and cannot be mapped`
              : `Stripe customer ${dto.provider_customer_id} is already mapped to FlexPrice customer ${existing.customerId ?? ''}`,
            { provider_customer_id: dto.provider_customer_id },
          );
        }
        const holder = await writes.lockHolderOf(scope, dto.provider_type, dto.customer_id, existing);
        if (holder && holder.status !== 'deleted') {
          throw duplicate(`FlexPrice customer ${dto.customer_id} is already mapped to Stripe customer ${holder.providerCustomerId}`, {
            customer_id: dto.customer_id,
          });
        }
        if (holder) await writes.releaseCustomer(holder);
        if (existing) {
          const { unmatched_reason: _resolved, ...state } = (existing.metadata ?? {}) as CustomerMappingState;
          const mapping = await writes.save(existing, { customerId: dto.customer_id, status: 'mapped', source: 'manual', metadata: state });
          return { mapping, created: false };
        }
        const mapping = await writes.insert(
          scope,
          { providerType: dto.provider_type, providerCustomerId: dto.provider_customer_id },
          { customerId: dto.customer_id, status: 'mapped', source: 'manual', lastEventCreated: null, metadata: null },
        );
        return { mapping, created: true };
      });
      this.logger.log(
        {
          tenant_id: scope.tenantId,
          environment_id: scope.environmentId,
          customer_id: dto.customer_id,
          provider_customer_id: dto.provider_customer_id,
          created: outcome.created,
        },
        outcome.created ? 'customer mapping created' : 'unmatched customer mapping resolved',
      );
      return outcome;
    } catch (error) {
      if (violatedUniqueIndex(error)) {
        // Lost a race with a concurrent create or a webhook for one of the two customers.
        throw duplicate('the FlexPrice customer or the Stripe customer was mapped concurrently', {
          customer_id: dto.customer_id,
          provider_customer_id: dto.provider_customer_id,
        });
      }
      throw error;
    }
  }
}
