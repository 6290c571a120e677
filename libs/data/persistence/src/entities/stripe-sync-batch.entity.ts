import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { TenantScopedEntity } from './tenant-scoped';

export type SyncStatus = 'pending' | 'completed' | 'failed';

/**
 * The write-ahead ledger of pushes: written `pending` (identifier + payload hash) before the Stripe call,
 * `completed`/`failed` after it.
 */
@Entity({ name: 'stripe_sync_batches' })
export class StripeSyncBatch extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ name: 'provider_customer_id', type: 'text', nullable: true })
  providerCustomerId!: string | null;

  @Column({ name: 'meter_id', type: 'text' })
  meterId!: string;

  @Column({ name: 'event_name', type: 'text', nullable: true })
  eventName!: string | null;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ name: 'window_start', type: 'timestamptz' })
  windowStart!: Date;

  @Column({ name: 'window_end', type: 'timestamptz' })
  windowEnd!: Date;

  @Column({ name: 'revision', type: 'integer', default: 0 })
  revision!: number;

  @Column({ name: 'identifier', type: 'varchar', length: 100 })
  identifier!: string;

  @Column({ name: 'payload_hash', type: 'text' })
  payloadHash!: string;

  /** Usage measured by FlexPrice for this window (exact decimal, as text). */
  @Column({ name: 'aggregated_quantity', type: 'numeric', precision: 38, scale: 12 })
  aggregatedQuantity!: string;

  /** Whole-number value sent to Stripe in this push (a delta for revisions > 0). */
  @Column({ name: 'sent_value', type: 'bigint', nullable: true })
  sentValue!: string | null;

  @Column({ name: 'event_count', type: 'bigint', default: 0 })
  eventCount!: string;

  @Column({ name: 'stripe_event_id', type: 'text', nullable: true })
  stripeEventId!: string | null;

  @Column({ name: 'sync_status', type: 'text' })
  syncStatus!: SyncStatus;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'attempt_count', type: 'integer', default: 0 })
  attemptCount!: number;

  @Column({ name: 'workflow_id', type: 'text', nullable: true })
  workflowId!: string | null;

  @Column({ name: 'run_id', type: 'text', nullable: true })
  runId!: string | null;

  @Column({ name: 'latency_ms', type: 'integer', nullable: true })
  latencyMs!: number | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}
