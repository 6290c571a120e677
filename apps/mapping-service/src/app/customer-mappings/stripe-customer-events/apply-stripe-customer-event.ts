import { Inject, Injectable, Logger } from '@nestjs/common';
import type { StripeCustomerEventMessage } from '@flexsync/kafka';
import {
  CustomerMappingStore,
  type CustomerIntegrationMapping,
  type CustomerMappingState,
  type CustomerMappingWrites,
} from '@flexsync/persistence';
import { CustomerMappingMetrics, type CustomerEventOutcome } from '../customer-mapping.metrics';
import { MappingServiceConfig } from '../../mapping-service.config';
import {
  decideCustomerMapping,
  flexpriceCustomerFrom,
  resolveCustomerConflict,
  type MappingSnapshot,
} from './customer-mapping-decision';

const PROVIDER = 'stripe' as const;

function snapshotOf(row: CustomerIntegrationMapping): MappingSnapshot {
  const state = (row.metadata ?? {}) as CustomerMappingState;
  return {
    customerId: row.customerId,
    status: row.status,
    source: row.source,
    lastEventCreated: row.lastEventCreated === null ? null : Number(row.lastEventCreated),
    lastEventId: state.last_event_id ?? null,
    lastEventType: state.last_event_type ?? null,
  };
}

/**
 * Applies one Stripe customer event to `customer_integration_mappings` in one transaction, with the Stripe customer's
 * row locked. Idempotent: the consumer redelivers after a crash, and Stripe itself delivers at least once.
 * Unique-index races (two Stripe customers claiming one FlexPrice customer at once) roll back and are retried by the consumer.
 */
@Injectable()
export class ApplyStripeCustomerEvent {
  private readonly logger = new Logger(ApplyStripeCustomerEvent.name);

  constructor(
    @Inject(CustomerMappingStore) private readonly store: CustomerMappingStore,
    @Inject(MappingServiceConfig) private readonly config: MappingServiceConfig,
    @Inject(CustomerMappingMetrics) private readonly metrics: CustomerMappingMetrics,
  ) {}

  async execute(message: StripeCustomerEventMessage): Promise<CustomerEventOutcome> {
    const outcome = await this.store.transaction((writes) => this.apply(writes, message));
    this.metrics.applied(message.event_type, outcome);
    this.logger.log(
      {
        tenant_id: message.tenant_id,
        environment_id: message.environment_id,
        stripe_event_id: message.stripe_event_id,
        event_type: message.event_type,
        provider_customer_id: message.customer.id,
        outcome,
      },
      'stripe customer event applied',
    );
    return outcome;
  }

  private async apply(writes: CustomerMappingWrites, message: StripeCustomerEventMessage): Promise<CustomerEventOutcome> {
    const scope = { tenantId: message.tenant_id, environmentId: message.environment_id };
    const existing = await writes.lockStripeCustomer(scope, PROVIDER, message.customer.id);

    const decided = decideCustomerMapping(existing ? snapshotOf(existing) : undefined, {
      eventId: message.stripe_event_id,
      type: message.event_type,
      created: message.stripe_created,
      flexprice: flexpriceCustomerFrom(message.customer.metadata, this.config.STRIPE_CUSTOMER_METADATA_KEY),
    });
    if (decided.kind === 'skip') return `skipped_${decided.reason}`;

    let decision = decided;
    if (decision.customerId !== null) {
      const holder = await writes.lockHolderOf(scope, PROVIDER, decision.customerId, existing);
      if (holder) {
        const resolved = resolveCustomerConflict(decision, holder);
        decision = resolved.decision;
        if (resolved.releaseHolder) await writes.releaseCustomer(holder);
      }
    }

    const state: CustomerMappingState = {
      last_event_id: message.stripe_event_id,
      last_event_type: message.event_type,
      stripe_metadata: message.customer.metadata,
      ...(decision.unmatchedReason ? { unmatched_reason: decision.unmatchedReason } : {}),
    };
    const fields = {
      customerId: decision.customerId,
      status: decision.status,
      source: decision.source,
      lastEventCreated: String(message.stripe_created),
      metadata: state,
    };
    if (existing) {
      await writes.update(existing, fields);
    } else {
      await writes.insert(scope, { providerType: PROVIDER, providerCustomerId: message.customer.id }, fields);
    }
    return decision.status;
  }
}
