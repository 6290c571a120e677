import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { TenantScopedEntity } from '../entities/tenant-scoped';

export const PROVIDER_TYPES = ['stripe'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** FlexPrice `meter_id` → Stripe Meter `event_name`; one per (tenant, environment, meter). */
@Entity({ name: 'meter_provider_mappings' })
export class MeterProviderMapping extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'meter_id', type: 'text' })
  meterId!: string;

  @Column({ name: 'provider_type', type: 'text' })
  providerType!: ProviderType;

  @Column({ name: 'provider_meter_id', type: 'text' })
  providerMeterId!: string;

  @Column({ name: 'sync_enabled', type: 'boolean', default: true })
  syncEnabled!: boolean;

  /** Decimal places kept when converting usage to Stripe's whole-number values (value × 10^precision). */
  @Column({ name: 'value_precision', type: 'integer', default: 0 })
  valuePrecision!: number;
}
