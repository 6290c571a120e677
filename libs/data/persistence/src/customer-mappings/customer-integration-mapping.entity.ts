import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { TenantScopedEntity } from '../entities/tenant-scoped';
import type { ProviderType } from '../meter-mappings/meter-provider-mapping.entity';

export type CustomerMappingStatus = 'mapped' | 'unmatched' | 'deleted';

/**
 * FlexPrice `customer_id` → Stripe customer id. A Stripe customer whose metadata names no FlexPrice customer
 * is kept as `unmatched` (customer_id null) so an operator can see and fix it.
 */
@Entity({ name: 'customer_integration_mappings' })
export class CustomerIntegrationMapping extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'customer_id', type: 'text', nullable: true })
  customerId!: string | null;

  @Column({ name: 'provider_type', type: 'text' })
  providerType!: ProviderType;

  @Column({ name: 'provider_customer_id', type: 'text' })
  providerCustomerId!: string;

  @Column({ name: 'status', type: 'text', default: 'mapped' })
  status!: CustomerMappingStatus;

  @Column({ name: 'source', type: 'text', default: 'manual' })
  source!: 'manual' | 'webhook';

  /** `created` of the last Stripe event applied; older deliveries never overwrite newer state. */
  @Column({ name: 'last_event_created', type: 'bigint', nullable: true })
  lastEventCreated!: string | null;

  @Column({ name: 'metadata', type: 'jsonb', nullable: true })
  metadata!: Record<string, unknown> | null;
}

/** What a mapping row remembers about the Stripe events applied to it (its `metadata` column). */
export type CustomerMappingState = {
  last_event_id?: string;
  last_event_type?: 'customer.created' | 'customer.updated' | 'customer.deleted';
  unmatched_reason?: string;
  stripe_metadata?: Record<string, string>;
  /** Set on a deleted Stripe customer's row when its FlexPrice customer was handed to a newer Stripe customer. */
  released_customer_id?: string;
};
