import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One Stripe account's budget for one kind of call (`acct_…|test|v1`), shared by every worker replica and every
 * tenant+environment using the account. Keyed by the account, not a tenant: no tenant data, no key material.
 */
@Entity({ name: 'stripe_rate_budgets' })
export class StripeRateBudget {
  @PrimaryColumn({ name: 'budget_key', type: 'text' })
  budgetKey!: string;

  /** The account's next free call slot, epoch ms on the database's clock (GCRA's theoretical arrival time). */
  @Column({ name: 'next_slot_ms', type: 'double precision' })
  nextSlotMs!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
