import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One Stripe meter error report (`v1.billing.meter.error_report_triggered`, `…no_meter_found`), recorded once. */
@Entity({ name: 'stripe_meter_error_reports' })
export class StripeMeterErrorReport {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'environment_id', type: 'text' })
  environmentId!: string;

  /** Unique per tenant+environment: a redelivered report is not recorded twice. */
  @Column({ name: 'stripe_event_id', type: 'text' })
  stripeEventId!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ name: 'stripe_meter_id', type: 'text', nullable: true })
  stripeMeterId!: string | null;

  /** Rejections Stripe counted, of which it sampled `sampleCount`. */
  @Column({ name: 'error_count', type: 'integer' })
  errorCount!: number;

  @Column({ name: 'sample_count', type: 'integer' })
  sampleCount!: number;

  /** Ledger rows the samples named (marked failed). */
  @Column({ name: 'matched_rows', type: 'integer', default: 0 })
  matchedRows!: number;

  @Column({ name: 'error_codes', type: 'text', array: true, default: () => `'{}'` })
  errorCodes!: string[];

  @Column({ name: 'stripe_created_at', type: 'timestamptz' })
  stripeCreatedAt!: Date;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}
