import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { TenantScopedEntity } from '../entities/tenant-scoped';

export type CircuitState = 'closed' | 'open' | 'half_open';

/** Per tenant+environment breaker: opened on Stripe auth failures so a bad key is not hammered. */
@Entity({ name: 'stripe_circuit_breakers' })
export class StripeCircuitBreaker extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'state', type: 'text', default: 'closed' })
  state!: CircuitState;

  @Column({ name: 'failure_count', type: 'integer', default: 0 })
  failureCount!: number;

  @Column({ name: 'opened_at', type: 'timestamptz', nullable: true })
  openedAt!: Date | null;

  @Column({ name: 'reason', type: 'text', nullable: true })
  reason!: string | null;

  /** While open (or half-open), when the next single probe push may go through; null when closed. */
  @Column({ name: 'next_probe_at', type: 'timestamptz', nullable: true })
  nextProbeAt!: Date | null;
}
