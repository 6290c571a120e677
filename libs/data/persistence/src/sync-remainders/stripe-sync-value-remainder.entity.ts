import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Per series (customer, meter, event type) of a tenant+environment, the fraction of usage Stripe's whole-number
 * meter event values have not carried yet (design rule 6), at the precision it was measured in.
 */
@Entity({ name: 'stripe_sync_value_remainders' })
export class StripeSyncValueRemainder {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ name: 'environment_id', type: 'text' })
  environmentId!: string;

  @PrimaryColumn({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @PrimaryColumn({ name: 'meter_id', type: 'text' })
  meterId!: string;

  @PrimaryColumn({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ name: 'value_precision', type: 'integer' })
  valuePrecision!: number;

  /** numeric(38, 12) in [0, 1), as text: never through a JavaScript number. */
  @Column({ name: 'remainder', type: 'numeric', precision: 38, scale: 12 })
  remainder!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
