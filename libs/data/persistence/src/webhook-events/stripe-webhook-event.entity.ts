import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { TenantScopedEntity } from '../entities/tenant-scoped';

/** Durable inbox of verified Stripe webhooks (deduped by Stripe `event.id`), doubling as the Kafka outbox. */
@Entity({ name: 'stripe_webhook_events' })
export class StripeWebhookEvent extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'stripe_event_id', type: 'text' })
  stripeEventId!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ name: 'livemode', type: 'boolean', default: false })
  livemode!: boolean;

  @Column({ name: 'stripe_created', type: 'bigint' })
  stripeCreated!: string;

  /** The whole event (personal data); null once published and older than the retention. The row stays for dedupe. */
  @Column({ name: 'payload', type: 'jsonb', nullable: true })
  payload!: Record<string, unknown> | null;

  @Column({ name: 'payload_purged_at', type: 'timestamptz', nullable: true })
  payloadPurgedAt!: Date | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Column({ name: 'publish_attempts', type: 'integer', default: 0 })
  publishAttempts!: number;

  @Column({ name: 'last_publish_error', type: 'text', nullable: true })
  lastPublishError!: string | null;
}
