import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Not } from 'typeorm';
import { CustomerIntegrationMapping, type TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import { violatedUniqueIndex } from '../../shared/unique-violation';
import type { CreateCustomerMappingDto } from '../dto/customer-mapping.dto';
import type { CustomerMappingState } from '../stripe-customer-events/customer-mapping-decision';

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

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute(scope: TenantScope, dto: CreateCustomerMappingDto): Promise<CreateCustomerMappingOutcome> {
    try {
      const outcome = await this.dataSource.transaction(async (manager) => {
        const repo = manager.getRepository(CustomerIntegrationMapping);
        const where = { tenantId: scope.tenantId, environmentId: scope.environmentId, providerType: dto.provider_type };
        const existing = await repo.findOne({
          where: { ...where, providerCustomerId: dto.provider_customer_id },
          lock: { mode: 'pessimistic_write' },
        });
        if (existing && existing.status !== 'unmatched') {
          throw duplicate(
            existing.status === 'deleted'
              ? `Stripe customer ${dto.provider_customer_id} was deleted in Stripe and cannot be mapped`
              : `Stripe customer ${dto.provider_customer_id} is already mapped to FlexPrice customer ${existing.customerId ?? ''}`,
            { provider_customer_id: dto.provider_customer_id },
          );
        }
        const holder = await repo.findOne({
          where: { ...where, customerId: dto.customer_id, ...(existing ? { id: Not(existing.id) } : {}) },
          lock: { mode: 'pessimistic_write' },
        });
        if (holder && holder.status !== 'deleted') {
          throw duplicate(`FlexPrice customer ${dto.customer_id} is already mapped to Stripe customer ${holder.providerCustomerId}`, {
            customer_id: dto.customer_id,
          });
        }
        if (holder) {
          const released: CustomerMappingState = {
            ...((holder.metadata ?? {}) as CustomerMappingState),
            released_customer_id: dto.customer_id,
          };
          await repo.update(
            { id: holder.id, tenantId: scope.tenantId, environmentId: scope.environmentId },
            { customerId: null, metadata: released },
          );
        }
        if (existing) {
          const { unmatched_reason: _resolved, ...state } = (existing.metadata ?? {}) as CustomerMappingState;
          existing.customerId = dto.customer_id;
          existing.status = 'mapped';
          existing.source = 'manual';
          existing.metadata = state as Record<string, unknown>;
          return { mapping: await repo.save(existing), created: false };
        }
        const mapping = repo.create({
          ...where,
          customerId: dto.customer_id,
          providerCustomerId: dto.provider_customer_id,
          status: 'mapped',
          source: 'manual',
          lastEventCreated: null,
          metadata: null,
        });
        return { mapping: await repo.save(mapping), created: true };
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
