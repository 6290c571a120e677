import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How far a tenant+environment's usage source has been looked at for late usage (its ingestion time watermark). */
@Entity({ name: 'stripe_usage_watermarks' })
export class StripeUsageWatermark {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ name: 'environment_id', type: 'text' })
  environmentId!: string;

  @PrimaryColumn({ name: 'usage_source', type: 'text' })
  usageSource!: string;

  /** Epoch ms (ClickHouse's clock) up to which rows' ingestion times were looked at. Postgres bigint: text. */
  @Column({ name: 'ingested_through_ms', type: 'bigint' })
  ingestedThroughMs!: string;

  /** Late rows found too old for Stripe: reported, never sent. Postgres bigint: text. */
  @Column({ name: 'late_rows_beyond_limit', type: 'bigint', default: 0 })
  lateRowsBeyondLimit!: string;

  @Column({ name: 'last_late_row_beyond_limit_at', type: 'timestamptz', nullable: true })
  lastLateRowBeyondLimitAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
